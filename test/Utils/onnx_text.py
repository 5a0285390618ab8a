"""Writes ONNX models from ONNX's textual syntax, so importer tests keep the
readable source of every model they compile.

    onnx_text.py SOURCE -o MODEL.onnx [--external-data FILE]
                 [--set-external-location LOC] [--no-check]

Lines starting with '#' (lit RUN/CHECK lines) are comments in that syntax.
--external-data moves every initializer into FILE beside the model, to test
external-data loading; --set-external-location then rewrites the recorded
location (to test that the importer refuses paths escaping the model's
directory). --no-check skips onnx.checker so tests can feed the
importer models that are deliberately invalid.
"""
import argparse
import os
import sys

import onnx
import onnx.checker
import onnx.numpy_helper
import onnx.parser


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source")
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--external-data")
    parser.add_argument("--set-external-location")
    parser.add_argument("--no-check", action="store_true")
    args = parser.parse_args()
    with open(args.source) as f:
        text = f.read()
    model = onnx.parser.parse_model(text)
    if not args.no_check:
        onnx.checker.check_model(model)
    if args.external_data:
        target = os.path.join(os.path.dirname(os.path.abspath(args.output)),
                              args.external_data)
        if os.path.exists(target):
            os.remove(target)
        # Only raw_data tensors move to external files.
        for tensor in model.graph.initializer:
            tensor.CopyFrom(onnx.numpy_helper.from_array(
                onnx.numpy_helper.to_array(tensor), tensor.name))
        onnx.save_model(model, args.output, save_as_external_data=True,
                        all_tensors_to_one_file=True,
                        location=args.external_data, size_threshold=0)
    else:
        onnx.save(model, args.output)
    if args.set_external_location:
        saved = onnx.load(args.output, load_external_data=False)
        for tensor in saved.graph.initializer:
            for entry in tensor.external_data:
                if entry.key == "location":
                    entry.value = args.set_external_location
        onnx.save(saved, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Writes ONNX models from ONNX's textual syntax, so importer tests keep the
readable source of every model they compile.

    onnx_text.py SOURCE -o MODEL.onnx [--external-data FILE] [--no-check]

Lines starting with '#' (lit RUN/CHECK lines) are comments in that syntax.
--external-data moves every initializer into FILE beside the model, to test
external-data loading. --no-check skips onnx.checker so tests can feed the
importer models that are deliberately invalid.
"""
import argparse
import os
import sys

import onnx
import onnx.checker
import onnx.external_data_helper
import onnx.parser


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source")
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--external-data")
    parser.add_argument("--no-check", action="store_true")
    args = parser.parse_args()
    with open(args.source) as f:
        text = f.read()
    model = onnx.parser.parse_model(text)
    if not args.no_check:
        onnx.checker.check_model(model)
    if args.external_data:
        onnx.external_data_helper.convert_model_to_external_data(
            model, all_tensors_to_one_file=True, location=args.external_data,
            size_threshold=0)
        target = os.path.join(os.path.dirname(os.path.abspath(args.output)),
                              args.external_data)
        if os.path.exists(target):
            os.remove(target)
    onnx.save(model, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())

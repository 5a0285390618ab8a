# cmake -DINPUT=file -DOUTPUT=file.inc -P EmbedFile.cmake
# Writes the bytes of INPUT as a comma-separated list for a C array.
file(READ "${INPUT}" bytes HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${bytes}")
file(WRITE "${OUTPUT}" "${bytes}\n")

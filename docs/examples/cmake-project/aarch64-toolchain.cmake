# Cross build for 64-bit Arm Linux (Raspberry Pi 4/5) with Debian's
# gcc-aarch64-linux-gnu; the programs run there or under qemu-aarch64.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
# PASO's package lives on the build machine (PASO_DIR points at it).
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

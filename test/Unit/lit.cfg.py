# -*- Python -*-
# The gtest unit tests (runtime: npy, safetensors, JSON, manifest, floats,
# CUDA ABI), each gtest case counted as one lit test.

import os

import lit.formats

config.name = "RAT-Unit"
config.suffixes = []
config.test_source_root = os.path.join(config.rat_obj_root, "unittests")
config.test_exec_root = config.test_source_root
config.test_format = lit.formats.GoogleTest(".", "Tests")

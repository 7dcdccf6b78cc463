# lit configuration for trn: FileCheck tests of passes, dialects and tools.
import os
import lit.formats

config.name = "trn"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir", ".test", ".s"]
config.excludes = ["Inputs", "lit.cfg.py", "lit.site.cfg.py.in"]
config.test_source_root = config.trn_lit_src
config.test_exec_root = config.trn_lit_out

config.environment["PATH"] = os.pathsep.join(
    [config.trn_bin_dir, os.path.dirname(config.trn_filecheck), config.environment.get("PATH", os.environ["PATH"])])
config.substitutions.append(("%python", config.trn_python))
config.substitutions.append(("%examples", os.path.join(config.trn_source_dir, "examples")))

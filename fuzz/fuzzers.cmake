# The libFuzzer targets, one per parser. Each NAME has fuzz/NAME.cc and a seed corpus fuzz/corpus/NAME/.
set(SKYRUN_FUZZERS spec_fuzz api_fuzz expr_fuzz archive_fuzz catalog_fuzz)

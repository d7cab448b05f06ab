# Runs nvcc for the kernel fatbin, keeping the ptxas report: cmake -DNVCC=.. -DSRC=.. -DOUT=.. -DLOG=..
# -DFLAGS=a|b|c -P fatbin.cmake. Fails (and prints the compiler output) on any error or warning.
string(REPLACE "|" ";" flags "${FLAGS}")
string(TIMESTAMP t0 "%s")
execute_process(
  COMMAND ${NVCC} ${flags} -fatbin -o ${OUT} ${SRC}
  OUTPUT_VARIABLE out
  ERROR_VARIABLE out
  RESULT_VARIABLE rc)
string(TIMESTAMP t1 "%s")
file(WRITE ${LOG} "${out}")
if(NOT rc EQUAL 0)
  message("${out}")
  file(REMOVE ${OUT})
  message(FATAL_ERROR "nvcc failed (${rc}) building ${OUT}")
endif()
math(EXPR secs "${t1} - ${t0}")
message(STATUS "ntk4j_kernels.fatbin built in ${secs} s; ptxas report: ${LOG}")

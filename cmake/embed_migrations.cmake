# Writes OUTPUT: a C++ source defining eventhub::pg::embedded_migrations() from the sorted SQL_FILES.
set(body "")
string(REPLACE "|" ";" SQL_FILES "${SQL_FILES}")  # joined with | by src/pg/CMakeLists.txt
list(SORT SQL_FILES)
foreach(f IN LISTS SQL_FILES)
  get_filename_component(version "${f}" NAME_WE)
  file(READ "${f}" sql)
  string(FIND "${sql}" ")eh_sql\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${f} contains the raw string delimiter )eh_sql\"")
  endif()
  string(APPEND body "      {\"${version}\", R\"eh_sql(${sql})eh_sql\"},\n")
endforeach()
file(WRITE "${OUTPUT}.tmp" "// Generated from sql/*.sql by cmake/embed_migrations.cmake. Do not edit.
#include <eventhub/pg/migrations.hpp>

namespace eventhub::pg {
const std::vector<Migration>& embedded_migrations() {
  static const std::vector<Migration> migrations{
${body}  };
  return migrations;
}
}  // namespace eventhub::pg
")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUTPUT}.tmp" "${OUTPUT}")

# Mounted end-to-end tests: one bash script each, run with the built tools in the environment.
set(IMGMOUNT_E2E_TESTS formats real_images diff diff_hashes mount_behaviour selection verbs
  listing_attributes diff_formats tar_headers habits
  verbs_json index_cache lazy_mount integrity status hostile load pzstd docs inspect cli
  registry registry_auth registry_mount union_cache toc_layers containerd)
foreach(name ${IMGMOUNT_E2E_TESTS})
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/e2e/${name}.sh)
    add_test(NAME e2e_${name}
      COMMAND ${CMAKE_COMMAND} -E env
        IMGMOUNT=$<TARGET_FILE:imgmount>
        FIXTURE=$<TARGET_FILE:imgmount-fixture>
        TREEDUMP=$<TARGET_FILE:imgmount-treedump>
        IMGMOUNT_SOURCE_DIR=${PROJECT_SOURCE_DIR}
        IMGMOUNT_SANITIZE=${IMGMOUNT_SANITIZE}
        bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/${name}.sh)
    set_tests_properties(e2e_${name} PROPERTIES LABELS e2e TIMEOUT 900)
  endif()
endforeach()
# ctest -j starts the longest tests first (seconds on release, from a CI run).
set_tests_properties(e2e_load PROPERTIES COST 90)
set_tests_properties(e2e_hostile PROPERTIES COST 60)
set_tests_properties(e2e_status PROPERTIES COST 20)
set_tests_properties(e2e_habits e2e_lazy_mount PROPERTIES COST 15)
set_tests_properties(e2e_toc_layers PROPERTIES COST 30)
set_tests_properties(e2e_containerd PROPERTIES COST 25)
# The parallel readers also run on the thread-sanitizer build (scripts/test.sh selects "tsan").
set_tests_properties(e2e_load PROPERTIES LABELS "e2e;tsan")

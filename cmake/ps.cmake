# Helpers that keep target names and labels uniform (STYLE.md §10-12).

# ps_add_test(component unit [LABELS l...] [LIBS lib...] [SOURCES extra.c...] [TIMEOUT s])
# builds tests/<component>/test_<component>_<unit>.c (or stress_..., when the
# unit starts with "stress_") into target test_<component>_<unit>.
function(ps_add_test component unit)
	cmake_parse_arguments(T "" "TIMEOUT" "LABELS;LIBS;SOURCES" ${ARGN})
	if(unit MATCHES "^stress_")
		string(REGEX REPLACE "^stress_" "" u "${unit}")
		set(name stress_${component}_${u})
		set(labels stress)
	else()
		set(name test_${component}_${unit})
		set(labels unit)
	endif()
	list(APPEND labels ${T_LABELS})
	add_executable(${name} ${CMAKE_CURRENT_SOURCE_DIR}/${name}.c ${T_SOURCES})
	target_link_libraries(${name} PRIVATE ${T_LIBS} PkgConfig::CMOCKA Threads::Threads)
	target_compile_definitions(${name} PRIVATE
		PS_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
		PS_BINARY_DIR="${PROJECT_BINARY_DIR}")
	add_test(NAME ${name} COMMAND ${name})
	if(NOT T_TIMEOUT)
		set(T_TIMEOUT 300)
	endif()
	set_tests_properties(${name} PROPERTIES
		LABELS "${labels}" SKIP_RETURN_CODE 77 TIMEOUT ${T_TIMEOUT}
		ENVIRONMENT "PS_SOURCE_DIR=${PROJECT_SOURCE_DIR};PS_BINARY_DIR=${PROJECT_BINARY_DIR}")
endfunction()


# ps_add_component(name [DEPS lib...] [PRIVATE_DEPS lib...])
# One static library per component folder from every *.c in it; public headers
# in include/ (as <ps/...>), private ones beside the sources.
function(ps_add_component name)
	cmake_parse_arguments(C "" "" "DEPS;PRIVATE_DEPS" ${ARGN})
	file(GLOB src CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.c)
	if(src)
		add_library(${name} STATIC ${src})
		target_include_directories(${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include
			PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
		target_link_libraries(${name} PUBLIC ${C_DEPS} PRIVATE ${C_PRIVATE_DEPS})
	else()
		add_library(${name} INTERFACE)
		target_include_directories(${name} INTERFACE ${CMAKE_CURRENT_SOURCE_DIR}/include)
		target_link_libraries(${name} INTERFACE ${C_DEPS})
	endif()
endfunction()

# Helpers for the CMake-script tests of the soma command (tests/*/*_cli.cmake).

# Fails unless every word after `what` occurs in `text`; `what` names the text in the message.
function(expect_in text what)
    foreach(word IN LISTS ARGN)
        string(FIND "${text}" "${word}" _at)
        if(_at EQUAL -1)
            message(FATAL_ERROR "${what} lacks '${word}':\n${text}")
        endif()
    endforeach()
endfunction()

# Runs ${SOMA} with the arguments after the two names: its exit code lands in rc_var, stdout and
# stderr together in out_var.
function(soma rc_var out_var)
    execute_process(COMMAND ${SOMA} ${ARGN} OUTPUT_VARIABLE _out ERROR_VARIABLE _err
                    RESULT_VARIABLE _rc)
    set(${rc_var} "${_rc}" PARENT_SCOPE)
    set(${out_var} "${_out}${_err}" PARENT_SCOPE)
endfunction()

# Emulated field devices, bus servers and the VirtualPlant service. Needs the physics model, so
# it only exists once btms_plant_physics does.
if(TARGET btms_plant_physics)
  add_library(btms_plant
    ${CMAKE_CURRENT_LIST_DIR}/device_emulator.cpp
    ${CMAKE_CURRENT_LIST_DIR}/bm_cs_emulator.cpp
    ${CMAKE_CURRENT_LIST_DIR}/bm_gs_emulator.cpp
    ${CMAKE_CURRENT_LIST_DIR}/bm_hs_emulator.cpp
    ${CMAKE_CURRENT_LIST_DIR}/bm_mc_emulator.cpp
    ${CMAKE_CURRENT_LIST_DIR}/modbus_pdu.cpp
    ${CMAKE_CURRENT_LIST_DIR}/tcp_bus_server.cpp
    ${CMAKE_CURRENT_LIST_DIR}/rtu_bus_server.cpp
    ${CMAKE_CURRENT_LIST_DIR}/scenario.cpp
    ${CMAKE_CURRENT_LIST_DIR}/virtual_plant.cpp
    ${CMAKE_CURRENT_LIST_DIR}/truth_server.cpp
  )
  target_link_libraries(btms_plant PUBLIC btms_plant_physics btms_devices btms_model
                                          PkgConfig::MODBUS PkgConfig::TOMLPP
                                          Threads::Threads)
endif()

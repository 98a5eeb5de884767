# Kubernetes Services through podnetd (engineer "svc"): ClusterIP / NodePort lab in namespaces.
if(TARGET podnetd AND TARGET podnetctl AND TARGET svc_http_server)
  podnet_test(services_lab_test netns
    SOURCES services/services_lab_test.cpp
    LIBS podnet_peers
    TIMEOUT 300)
  add_dependencies(services_lab_test podnetd podnetctl svc_http_server)
endif()

// libcurl, loaded when the first HTTP request is made rather than when meshlab starts.
// libcurl drags in some thirty libraries (GnuTLS, Kerberos, LDAP, SSH, RTMP...) whose
// loading and constructors cost more than everything `meshlab --version` does, and most
// commands (validate, render, plan) never make a request.
#pragma once

#include <curl/curl.h>

namespace meshlab::net {

// The libcurl functions meshlab calls, resolved from the shared library.
struct CurlApi {
  CURLcode (*global_init)(long flags);
  CURL* (*easy_init)();
  CURLcode (*easy_setopt)(CURL* handle, CURLoption option, ...);
  CURLcode (*easy_perform)(CURL* handle);
  CURLcode (*easy_getinfo)(CURL* handle, CURLINFO info, ...);
  void (*easy_cleanup)(CURL* handle);
  const char* (*easy_strerror)(CURLcode code);
  curl_slist* (*slist_append)(curl_slist* list, const char* text);
  void (*slist_free_all)(curl_slist* list);
};

// Loads libcurl (once, thread-safe) and runs curl_global_init. Throws meshlab::Error
// naming the library and the package to install when it cannot be loaded.
const CurlApi& curl_api();

} // namespace meshlab::net

package io.canaryproxy.admin;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import io.canaryproxy.config.ProxyConfig;

/**
 * What {@code GET /admin/config} shows: every key of the running config at the top level, as
 * before, plus facts decided at start-up.
 *
 * @param config the running config
 * @param tlsProvider {@code openssl} or {@code jdk}: the TLS implementation every TLS context uses;
 *     {@code null} (left out) when the config uses no TLS, so that OpenSSL is not even loaded
 */
public record EffectiveConfig(
    @JsonUnwrapped ProxyConfig config,
    @JsonInclude(JsonInclude.Include.NON_NULL) String tlsProvider) {}

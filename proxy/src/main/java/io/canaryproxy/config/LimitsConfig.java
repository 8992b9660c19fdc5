package io.canaryproxy.config;

/**
 * The {@code limits} section.
 *
 * @param maxRequestLineBytes longer request lines get 414; default 8 KiB
 * @param maxHeaderBytes larger header sections get 431; default 16 KiB
 * @param maxHeaders more header fields get 431; default 100
 * @param maxBodyBytes larger request bodies get 413; default 100 MiB
 */
public record LimitsConfig(
    int maxRequestLineBytes, int maxHeaderBytes, int maxHeaders, long maxBodyBytes) {}

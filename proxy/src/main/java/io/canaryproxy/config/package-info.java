/**
 * The configuration: immutable records that mirror the YAML tree ({@link
 * io.canaryproxy.config.ProxyConfig} and one record per section), and {@link
 * io.canaryproxy.config.ConfigLoader}, which parses YAML with Jackson, walks the tree itself and
 * reports every error at once as {@code path.to.key: value (expected: ...)} in a {@link
 * io.canaryproxy.config.ConfigException}. Start with {@code ConfigLoader.parse}; the
 * package-private {@code YamlMap} does the typed reads, and {@code BackendsParser}, {@code
 * AdminParser}, {@code RoutingParser}, {@code MirrorParser} and {@code RolloutParser} read the
 * larger sections. {@code ConfigFiles} reads the config and token files with a size bound, and
 * {@code ConfigWatcher} reloads on its own thread. {@code config/reference.yaml} documents every
 * key.
 */
package io.canaryproxy.config;

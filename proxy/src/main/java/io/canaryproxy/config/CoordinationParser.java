package io.canaryproxy.config;

import io.canaryproxy.config.CoordinationConfig.FailSafe;
import io.canaryproxy.config.CoordinationConfig.Store;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Reads {@code rollout.coordination}; an absent section is {@link CoordinationConfig#FILE}. */
final class CoordinationParser {
  static final String[] KEYS = {
    "store",
    "endpoints",
    "prefix",
    "replicaId",
    "leaseTtl",
    "staleAfter",
    "failSafe",
    "username",
    "passwordFile",
    "tls",
    "namespace",
    "kubeconfig",
    "name"
  };

  /** {@code rollout.coordination.tls}: as a backend's {@code tls}, always enabled. */
  static final String[] TLS_KEYS = {
    "caFile", "certFile", "keyFile", "serverName", "insecureSkipVerify"
  };

  /** A Kubernetes object name that leaves room for the suffixes the store adds. */
  private static final String NAME = "[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?";

  private static final String LABEL = "[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?";

  private CoordinationParser() {}

  /**
   * @param readFiles also read the TLS PEM files, so that a bad one is reported by its YAML path
   */
  static CoordinationConfig parse(YamlMap m, boolean readFiles) {
    CoordinationConfig def = CoordinationConfig.FILE;
    Store store = m.choice("store", Store.FILE, Store.class);
    List<URI> endpoints = new ArrayList<>();
    List<String> raw = m.strings("endpoints", List.of());
    for (int i = 0; i < raw.size(); i++) {
      URI uri = endpoint(raw.get(i));
      if (uri == null) {
        m.errors()
            .add(
                m.path("endpoints")
                    + "["
                    + i
                    + "]: \""
                    + raw.get(i)
                    + "\" (expected: an etcd client URL such as http://127.0.0.1:2379)");
      } else {
        endpoints.add(uri);
      }
    }
    if (store == Store.ETCD && !m.has("endpoints")) {
      m.missing("endpoints", "a list of etcd client URLs with store: etcd");
    } else if (store == Store.ETCD && raw.isEmpty() && m.raw("endpoints").isArray()) {
      m.invalid("endpoints", "a non-empty list of etcd client URLs");
    }
    String prefix = m.string("prefix", def.prefix());
    if (!prefix.startsWith("/") || prefix.endsWith("/") || prefix.length() > 200) {
      m.invalid("prefix", "a key prefix starting with / and not ending with /, at most 200 chars");
      prefix = def.prefix();
    }
    String replicaId = m.string("replicaId", null);
    if (replicaId != null && (replicaId.isEmpty() || replicaId.length() > 200)) {
      m.invalid("replicaId", "a non-empty id of at most 200 chars");
      replicaId = null;
    }
    Duration ttl =
        bounded(
            m, "leaseTtl", def.leaseTtl(), Duration.ofSeconds(3), Duration.ofMinutes(5), "3s..5m");
    Duration staleAfter =
        bounded(
            m,
            "staleAfter",
            def.staleAfter(),
            Duration.ofSeconds(1),
            Duration.ofHours(1),
            "1s..1h");
    String username = m.string("username", null);
    if (username != null && (username.isEmpty() || username.length() > 200)) {
      m.invalid("username", "a non-empty etcd user name of at most 200 chars");
      username = null;
    }
    Path passwordFile = m.filePath("passwordFile");
    if (m.has("username") && !m.has("passwordFile")) {
      m.missing("passwordFile", "a file holding the etcd password of username");
    } else if (m.has("passwordFile") && !m.has("username")) {
      m.missing("username", "the etcd user whose password passwordFile holds");
    }
    BackendTlsConfig tls =
        m.declared("tls") ? TlsParser.parseBackend(m.map("tls", TLS_KEYS), readFiles) : null;
    if (store == Store.ETCD
        && tls != null
        && endpoints.stream().anyMatch(u -> !"https".equals(u.getScheme()))) {
      m.error("tls", "set (expected: only https:// endpoints with tls)");
    }
    String namespace = m.string("namespace", null);
    if (namespace != null && !namespace.matches(LABEL)) {
      m.invalid("namespace", "a Kubernetes namespace name ([a-z0-9-], at most 63 chars)");
    }
    Path kubeconfig = m.filePath("kubeconfig");
    String name = m.string("name", def.name());
    if (!name.matches(NAME)) {
      m.invalid("name", "a Kubernetes object name ([a-z0-9-], at most 40 chars)");
      name = def.name();
    }
    onlyWith(m, store, Store.ETCD, "etcd", "endpoints", "username", "passwordFile", "tls");
    onlyWith(m, store, Store.KUBERNETES, "kubernetes", "namespace", "kubeconfig", "name");
    return new CoordinationConfig(
        store,
        endpoints,
        prefix,
        replicaId,
        ttl,
        staleAfter,
        m.choice("failSafe", FailSafe.HOLD, FailSafe.class),
        username,
        passwordFile,
        tls,
        namespace,
        kubeconfig,
        name);
  }

  /** Reports each of {@code keys} that is set although the store is not {@code only}. */
  private static void onlyWith(YamlMap m, Store store, Store only, String name, String... keys) {
    if (store == only || store == Store.FILE) {
      return; // a file store ignores both (the reference config shows every key)
    }
    for (String key : keys) {
      if (m.declared(key)) {
        m.error(key, "set (expected: only with store: " + name + ")");
      }
    }
  }

  private static Duration bounded(
      YamlMap m, String key, Duration def, Duration min, Duration max, String range) {
    Duration d = m.duration(key, def, true);
    if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
      m.invalid(key, "a duration " + range);
      return def;
    }
    return d;
  }

  private static URI endpoint(String s) {
    try {
      URI uri = new URI(s);
      boolean web = "http".equals(uri.getScheme()) || "https".equals(uri.getScheme());
      return web && uri.getHost() != null && uri.getPort() > 0 ? uri : null;
    } catch (URISyntaxException e) {
      return null;
    }
  }
}

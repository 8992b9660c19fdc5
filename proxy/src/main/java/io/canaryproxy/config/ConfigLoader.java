package io.canaryproxy.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.canaryproxy.net.Cidr;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads the YAML configuration into a {@link ProxyConfig}, validating every value. All errors are
 * collected and reported together, each starting with its YAML path, so one run of {@code validate}
 * shows everything that is wrong. Start reading at {@link #parse(String)}.
 */
public final class ConfigLoader {
  private static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory())
          .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);
  private static final String[] TOP_KEYS = {
    "listen",
    "ioThreads",
    "admin",
    "backends",
    "routing",
    "mirror",
    "rollout",
    "timeouts",
    "limits",
    "metrics",
    "accessLog",
    "drain",
    "dns",
    "tls",
    "proxyProtocol"
  };
  private static final String ROOT = "<root>";

  private ConfigLoader() {}

  /**
   * Reads (at most {@link ConfigFiles#MAX_CONFIG_BYTES}), parses and validates the config file, and
   * checks that the admin token files it names can be read: what {@code validate} accepts, {@code
   * run} can start with.
   */
  public static ProxyConfig load(Path file) throws ConfigException {
    return parse(new String(ConfigFiles.readConfig(file), StandardCharsets.UTF_8), true);
  }

  /**
   * Parses and validates a config given as YAML text. Files it names are not read; {@link #load}
   * also checks those.
   */
  public static ProxyConfig parse(String yaml) throws ConfigException {
    return parse(yaml, false);
  }

  /**
   * Parses and validates; with {@code readFiles}, also reads the admin token files and the TLS PEM
   * files it names.
   */
  static ProxyConfig parse(String yaml, boolean readFiles) throws ConfigException {
    JsonNode root;
    try {
      root = YAML.readTree(yaml);
    } catch (JsonProcessingException e) {
      throw new ConfigException(List.of(syntaxError(e)));
    }
    if (root == null || root.isMissingNode() || root.isNull()) {
      throw new ConfigException(
          List.of(ROOT + ": empty (expected: a mapping with at least a backends section)"));
    }
    if (!root.isObject()) {
      throw new ConfigException(
          List.of(
              ROOT
                  + ": "
                  + YamlMap.show(root)
                  + " (expected: a mapping with keys "
                  + String.join(", ", TOP_KEYS)
                  + ")"));
    }
    List<String> errors = new ArrayList<>();
    YamlMap top = YamlMap.of(root, "", errors, TOP_KEYS);
    HostPort listen = top.hostPort("listen", new HostPort("127.0.0.1", 8080));
    int ioThreads =
        (int) top.integer("ioThreads", Runtime.getRuntime().availableProcessors(), 1, 1024);
    AdminConfig admin = AdminParser.parse(top.map("admin", AdminParser.KEYS), readFiles);
    Map<String, BackendConfig> backends = BackendsParser.parse(top, readFiles);
    Set<String> names = backends.keySet();
    RoutingConfig routing = RoutingParser.parse(top.map("routing", RoutingParser.KEYS), names);
    MirrorConfig mirror =
        top.declared("mirror")
            ? MirrorParser.parse(top.map("mirror", MirrorParser.KEYS), names)
            : null;
    RolloutConfig rollout =
        top.declared("rollout")
            ? RolloutParser.parse(top.map("rollout", RolloutParser.KEYS), readFiles)
            : null;
    if (readFiles && rollout != null) {
      ConfigFiles.secret(
          ConfigFiles.ETCD_PASSWORD, rollout.coordination().passwordFile(), "the password", errors);
    }
    if (rollout != null && rollout.shadowGate() && mirror == null) {
      errors.add(
          "rollout.shadowGate: true (expected: false unless a mirror section is configured)");
    }
    TlsConfig tls =
        top.declared("tls") ? TlsParser.parse(top.map("tls", TlsParser.KEYS), readFiles) : null;
    checkClientCertKeys(routing, tls, errors);
    ProxyConfig config =
        new ProxyConfig(
            listen,
            ioThreads,
            admin,
            backends,
            routing,
            mirror,
            rollout,
            timeouts(
                top.map(
                    "timeouts",
                    "connect",
                    "response",
                    "clientIdle",
                    "requestHeader",
                    "backendIdle",
                    "requestBody",
                    "tunnelIdle")),
            limits(
                top.map(
                    "limits",
                    "maxRequestLineBytes",
                    "maxHeaderBytes",
                    "maxHeaders",
                    "maxBodyBytes",
                    "requestBufferBytes",
                    "http2",
                    "maxClientConnections")),
            metrics(
                top.map(
                    "metrics",
                    "lowestMicros",
                    "highestMicros",
                    "significantDigits",
                    "interval",
                    "window",
                    "grpc",
                    "jvmMeters")),
            accessLog(top.map("accessLog", "enabled", "path", "sampleRate", "logUserKey")),
            drain(top.map("drain", "delay", "timeout")),
            dns(top.map("dns", "minTtl", "maxTtl", "family", "servers", "queryTimeout")),
            tls,
            top.bool("proxyProtocol", false));
    if (!errors.isEmpty()) {
      throw new ConfigException(errors);
    }
    return config;
  }

  /** A client certificate can be a user key only where the listener asks for one. */
  private static void checkClientCertKeys(
      RoutingConfig routing, TlsConfig tls, List<String> errors) {
    List<RoutingConfig.UserKeySource> keys = routing.userKey();
    for (int i = 0; keys != null && i < keys.size(); i++) {
      if (keys.get(i).kind() == RoutingConfig.UserKeySource.Kind.CLIENT_CERT
          && (tls == null || tls.clientAuth() == TlsConfig.ClientAuth.NONE)) {
        errors.add(
            "routing.userKey["
                + i
                + "].clientCert: "
                + keys.get(i).name()
                + " (expected: a tls section with clientAuth: optional or require)");
      }
    }
  }

  private static String syntaxError(JsonProcessingException e) {
    String problem;
    String where;
    if (e.getCause() instanceof MarkedYAMLException) {
      MarkedYAMLException y = (MarkedYAMLException) e.getCause();
      Mark mark = y.getProblemMark() != null ? y.getProblemMark() : y.getContextMark();
      problem = y.getContext() == null ? y.getProblem() : y.getContext() + ", " + y.getProblem();
      where =
          mark == null
              ? ""
              : " at line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1);
    } else {
      JsonLocation at = e.getLocation();
      problem =
          e.getOriginalMessage()
              .replaceFirst("(?s)^Duplicate field '(.*?)'.*", "duplicate key \"$1\"");
      where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
    }
    int newline = problem.indexOf('\n');
    if (newline >= 0) {
      problem = problem.substring(0, newline);
    }
    return ROOT
        + ": not valid YAML"
        + where
        + ": "
        + problem.trim()
        + " (expected: a YAML mapping)";
  }

  private static TimeoutsConfig timeouts(YamlMap m) {
    return new TimeoutsConfig(
        m.duration("connect", Duration.ofSeconds(2), true),
        m.duration("response", Duration.ofSeconds(30), true),
        m.duration("clientIdle", Duration.ofSeconds(60), true),
        m.duration("requestHeader", Duration.ofSeconds(10), true),
        m.duration("backendIdle", Duration.ofSeconds(60), true),
        m.duration("requestBody", TimeoutsConfig.DEFAULT_REQUEST_BODY, true),
        m.duration("tunnelIdle", TimeoutsConfig.DEFAULT_TUNNEL_IDLE, true));
  }

  private static LimitsConfig limits(YamlMap m) {
    return new LimitsConfig(
        (int) m.size("maxRequestLineBytes", 8 << 10, 1, Integer.MAX_VALUE),
        (int) m.size("maxHeaderBytes", 16 << 10, 1, Integer.MAX_VALUE),
        (int) m.integer("maxHeaders", 100, 1, 100_000),
        m.size("maxBodyBytes", 100L << 20, 0, Long.MAX_VALUE),
        (int) m.size("requestBufferBytes", LimitsConfig.DEFAULT_REQUEST_BUFFER_BYTES, 0, 16L << 20),
        Http2LimitsConfig.parse(
            m.map(
                "http2",
                "maxConcurrentStreams",
                "headerTableBytes",
                "maxResets",
                "resetWindow",
                "maxQueuedControlFrames",
                "maxEmptyFrames",
                "maxSmallContinuationFrames",
                "streamWindowBytes",
                "connectionWindowBytes")),
        (int)
            m.integer(
                "maxClientConnections",
                LimitsConfig.defaultMaxClientConnections(),
                1,
                LimitsConfig.MAX_CLIENT_CONNECTIONS));
  }

  private static MetricsConfig metrics(YamlMap m) {
    long lowest = m.integer("lowestMicros", 1, 1, Long.MAX_VALUE / 2);
    long highest = m.integer("highestMicros", 60_000_000, 2, Long.MAX_VALUE);
    if (highest < 2 * lowest) {
      m.error(
          "highestMicros",
          highest + " (expected: at least 2 × metrics.lowestMicros = " + 2 * lowest + ")");
    }
    return new MetricsConfig(
        lowest,
        highest,
        (int) m.integer("significantDigits", 3, 1, 5),
        m.duration("interval", Duration.ofSeconds(10), true),
        (int) m.integer("window", 30, 1, 10_000),
        GrpcParser.errorCodes(m.map("grpc", "errorCodes")),
        m.bool("jvmMeters", true));
  }

  private static AccessLogConfig accessLog(YamlMap m) {
    return new AccessLogConfig(
        m.bool("enabled", false),
        m.filePath("path"),
        m.number("sampleRate", 1, 0, 1, "0..1"),
        m.bool("logUserKey", false));
  }

  private static DrainConfig drain(YamlMap m) {
    return new DrainConfig(
        m.duration("delay", Duration.ofSeconds(5), false),
        m.duration("timeout", Duration.ofSeconds(20), true));
  }

  private static DnsConfig dns(YamlMap m) {
    DnsConfig d = DnsConfig.defaults();
    Duration minTtl = m.duration("minTtl", d.minTtl(), true);
    Duration maxTtl = m.duration("maxTtl", d.maxTtl(), true);
    if (maxTtl.compareTo(minTtl) < 0) {
      if (m.has("maxTtl")) {
        m.invalid("maxTtl", "a duration no shorter than dns.minTtl");
      } else {
        m.invalid("minTtl", "a duration no longer than dns.maxTtl, which defaults to 30s");
      }
    }
    List<HostPort> servers = new ArrayList<>();
    List<JsonNode> items = m.list("servers", "a list of literal ip:port");
    for (int i = 0; i < items.size(); i++) {
      HostPort hp = null;
      try {
        hp = items.get(i).isTextual() ? HostPort.parse(items.get(i).asText()) : null;
      } catch (IllegalArgumentException e) {
        // reported below
      }
      if (hp == null || hp.port() == 0 || Cidr.parseLiteral(hp.host()) == null) {
        m.errors()
            .add(
                m.path("servers")
                    + "["
                    + i
                    + "]: "
                    + YamlMap.show(items.get(i))
                    + " (expected: a literal ip:port with port 1..65535, such as 10.96.0.10:53)");
      } else {
        servers.add(hp);
      }
    }
    return new DnsConfig(
        minTtl,
        maxTtl,
        m.choice("family", d.family(), DnsConfig.Family.class),
        List.copyOf(servers),
        m.duration("queryTimeout", d.queryTimeout(), true));
  }
}

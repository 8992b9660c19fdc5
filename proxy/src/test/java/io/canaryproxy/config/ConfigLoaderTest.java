package io.canaryproxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.canaryproxy.config.MirrorConfig.SampleBy;
import io.canaryproxy.config.RolloutConfig.OnFailure;
import io.canaryproxy.config.RoutingConfig.Anonymous;
import io.canaryproxy.config.RoutingConfig.NamedMatch;
import io.canaryproxy.config.RoutingConfig.RuleConfig;
import io.canaryproxy.config.RoutingConfig.StringMatch;
import io.canaryproxy.config.RoutingConfig.StringMatch.Op;
import io.canaryproxy.config.RoutingConfig.UserKeySource;
import io.canaryproxy.config.RoutingConfig.UserKeySource.Kind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  /** The example from docs/contract.md, verbatim ({@code ExampleConfigsTest} checks that). */
  static final String CONTRACT_EXAMPLE =
      """
      listen: 127.0.0.1:8080          # proxy listener
      ioThreads: 2                    # event-loop threads (default: number of cores)
      admin:
        listen: 127.0.0.1:9901        # admin listener; a non-loopback address needs tokenFile
        tokenFile: /path/to/token     # optional; when set, mutating admin calls need "Authorization: Bearer <token>"
      backends:                       # named pools; any name may be used
        stable: { endpoints: ["127.0.0.1:9001"] }
        canary: { endpoints: ["127.0.0.1:9002"] }
        shadow: { endpoints: ["127.0.0.1:9003"] }
      routing:
        stable: stable                # backend name for the stable variant (default "stable")
        canary: canary                # backend name for the canary variant (default "canary")
        userKey:                      # where the user key comes from; the first one present wins
          - header: x-user-id
          - cookie: uid
        canaryPercent: 10             # 0..100, decimals allowed; the share of users sent to the canary
        salt: "release-42"            # changing it reshuffles the cohorts
        anonymous: stable             # requests with no user key: stable | split (per request)
        override:                     # "canary" or "stable" forces the variant, but only from trusted addresses
          header: x-canary
          trustedCidrs: ["127.0.0.1/32"]
        rules:                        # checked before the split; the first match wins; conditions inside a match are ANDed
          - match: { header: { name: x-beta, equals: "true" } }   # header: equals | prefix | regex | present
            to: canary                                            # any backend name
          - match: { path: { prefix: /internal/ } }               # path: equals | prefix | regex; also cookie: equals | present
            to: stable
      mirror:
        to: shadow                    # backend name
        percent: 5                    # required: there is no implicit 100%
        sampleBy: request             # request | user (sticky sample)
        from: [stable, canary]        # which primary variants are mirrored
        methods: [GET, HEAD, OPTIONS] # the default is idempotent methods only
        maxBodyBytes: 1048576
        maxInFlight: 256
        timeout: 5s
        hostSuffix: "-shadow"         # appended to the shadow request's Host; "" turns it off
      rollout:
        steps: [1, 5, 25, 50, 100]    # canaryPercent values
        stepInterval: 60s
        analysis:
          interval: 10s
          minRequests: 200
          latency: { percentile: 99, maxRatio: 1.2 }
          errorRate: { maxIncrease: 0.01 }
          failureThreshold: 3
        onFailure: rollback           # rollback | pause
        stateFile: ./rollout-state.json
      """;

  static final String MINIMAL =
      """
      backends:
        stable: { endpoints: ["127.0.0.1:9001"] }
        canary: { endpoints: ["127.0.0.1:9002"] }
      """;

  @Test
  void analysisKeysOfTheSequentialJudgeLoadAndTheDeprecatedMaxRatioMapsToTolerance()
      throws ConfigException {
    RolloutConfig.AnalysisConfig a =
        ConfigLoader.parse(
                MINIMAL
                    + "rollout: {steps: [5], analysis: {latency: {tolerance: 0.3, minShift: 2ms},"
                    + " errorRate: {tolerance: 0.5}, maxInconclusive: 5m,"
                    + " onInconclusive: rollback}}\n")
            .rollout()
            .analysis();
    RolloutConfig.AnalysisConfig old =
        ConfigLoader.parse(
                MINIMAL + "rollout: {steps: [5], analysis: {latency: {maxRatio: 1.5}}}\n")
            .rollout()
            .analysis();

    assertThat(a.tolerance()).isEqualTo(0.3);
    assertThat(a.minShift()).isEqualTo(Duration.ofMillis(2));
    assertThat(a.errorTolerance()).isEqualTo(0.5);
    assertThat(a.maxInconclusive()).isEqualTo(Duration.ofMinutes(5));
    assertThat(a.onInconclusive()).isEqualTo(OnFailure.ROLLBACK);
    assertThat(old.tolerance()).isEqualTo(0.5);
    assertThat(old.minShift()).isEqualTo(Duration.ofMillis(1));
    assertThat(old.maxInconclusive()).isEqualTo(Duration.ofMinutes(10));
    assertThat(old.onInconclusive()).isEqualTo(OnFailure.PAUSE);
  }

  @Test
  void contractExampleLoadsWithItsValues() throws ConfigException {
    ProxyConfig c = ConfigLoader.parse(CONTRACT_EXAMPLE);

    assertThat(c.listen()).isEqualTo(new HostPort("127.0.0.1", 8080));
    assertThat(c.ioThreads()).isEqualTo(2);
    assertThat(c.admin())
        .isEqualTo(new AdminConfig(new HostPort("127.0.0.1", 9901), Path.of("/path/to/token")));
    assertThat(c.backends()).containsOnlyKeys("stable", "canary", "shadow");
    assertThat(c.backends().keySet()).containsExactly("stable", "canary", "shadow");
    assertThat(c.backends().get("shadow"))
        .isEqualTo(new BackendConfig(List.of(new HostPort("127.0.0.1", 9003)), 1024));

    RoutingConfig r = c.routing();
    assertThat(r.stable()).isEqualTo("stable");
    assertThat(r.canary()).isEqualTo("canary");
    assertThat(r.userKey())
        .containsExactly(
            new UserKeySource(Kind.HEADER, "x-user-id"), new UserKeySource(Kind.COOKIE, "uid"));
    assertThat(r.canaryPercent()).isEqualTo(10.0);
    assertThat(r.salt()).isEqualTo("release-42");
    assertThat(r.anonymous()).isEqualTo(Anonymous.STABLE);
    assertThat(r.override().header()).isEqualTo("x-canary");
    assertThat(r.override().trustedCidrs()).containsExactly("127.0.0.1/32");
    assertThat(r.rules())
        .containsExactly(
            new RuleConfig(
                new NamedMatch("x-beta", new StringMatch(Op.EQUALS, "true")), null, null, "canary"),
            new RuleConfig(null, null, new StringMatch(Op.PREFIX, "/internal/"), "stable"));
    assertThat(r.exposeVariantHeader()).isFalse();

    MirrorConfig m = c.mirror();
    assertThat(m.to()).isEqualTo("shadow");
    assertThat(m.percent()).isEqualTo(5.0);
    assertThat(m.sampleBy()).isEqualTo(SampleBy.REQUEST);
    assertThat(m.from()).containsExactly("stable", "canary");
    assertThat(m.methods()).containsExactly("GET", "HEAD", "OPTIONS");
    assertThat(m.maxBodyBytes()).isEqualTo(1_048_576L);
    assertThat(m.maxInFlight()).isEqualTo(256);
    assertThat(m.timeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(m.hostSuffix()).isEqualTo("-shadow");
    assertThat(m.compare())
        .isEqualTo(
            new MirrorConfig.CompareConfig(
                true, List.of("content-type"), 256 * 1024, false, List.of(), false));

    RolloutConfig ro = c.rollout();
    assertThat(ro.steps()).containsExactly(1.0, 5.0, 25.0, 50.0, 100.0);
    assertThat(ro.stepInterval()).isEqualTo(Duration.ofSeconds(60));
    assertThat(ro.analysis())
        .isEqualTo(
            new RolloutConfig.AnalysisConfig(
                Duration.ofSeconds(10), 200, 99, 1.2, 0.99, 0.01, 0.05, 3));
    assertThat(ro.onFailure()).isEqualTo(OnFailure.ROLLBACK);
    assertThat(ro.stateFile()).isEqualTo(Path.of("./rollout-state.json"));
    assertThat(ro.webhook()).isNull();
    assertThat(ro.shadowGate()).isFalse();
  }

  @Test
  void backendProtocolIsReadAndDefaultsToHttp1() throws ConfigException {
    ProxyConfig c =
        ConfigLoader.parse(
            "backends:\n"
                + "  stable: {endpoints: [\"127.0.0.1:1\"]}\n"
                + "  canary: {endpoints: [\"127.0.0.1:2\"], protocol: h2c}\n"
                + "  grpc: {endpoints: [\"127.0.0.1:3\"], protocol: h2, tls: {}}\n"
                + "  old: {endpoints: [\"127.0.0.1:4\"], protocol: http1}\n");

    assertThat(c.backends().get("stable").protocol()).isEqualTo(BackendProtocol.HTTP1);
    assertThat(c.backends().get("canary").protocol()).isEqualTo(BackendProtocol.H2C);
    assertThat(c.backends().get("grpc").protocol()).isEqualTo(BackendProtocol.H2);
    assertThat(c.backends().get("grpc").tlsEnabled()).isTrue();
    assertThat(c.backends().get("old").protocol()).isEqualTo(BackendProtocol.HTTP1);
  }

  @Test
  void grpcKeysReadNamesInAnyCaseAndNumbers() throws ConfigException {
    ProxyConfig c =
        ConfigLoader.parse(
            MINIMAL
                + "metrics: {grpc: {errorCodes: [unavailable, 13, Deadline_Exceeded]}}\n"
                + "mirror: {to: canary, percent: 5, grpc: all}\n");

    assertThat(c.metrics().grpcErrorCodes().codes())
        .containsExactly(
            io.canaryproxy.grpc.GrpcStatus.DEADLINE_EXCEEDED,
            io.canaryproxy.grpc.GrpcStatus.INTERNAL,
            io.canaryproxy.grpc.GrpcStatus.UNAVAILABLE);
    assertThat(c.mirror().grpc()).isEqualTo(MirrorConfig.GrpcMirror.ALL);
    ProxyConfig none = ConfigLoader.parse(MINIMAL + "metrics: {grpc: {errorCodes: []}}\n");
    assertThat(none.metrics().grpcErrorCodes().codes()).isEmpty();
    ProxyConfig defaults = ConfigLoader.parse(MINIMAL + "mirror: {to: canary, percent: 5}\n");
    assertThat(defaults.mirror().grpc()).isEqualTo(MirrorConfig.GrpcMirror.UNARY);
    assertThat(defaults.metrics().grpcErrorCodes())
        .isEqualTo(io.canaryproxy.grpc.GrpcErrorCodes.DEFAULT);
  }

  @Test
  void mirrorEjectionIsReadWithItsDefaults() throws ConfigException {
    ProxyConfig defaults = ConfigLoader.parse(MINIMAL + "mirror: {to: canary, percent: 5}\n");
    assertThat(defaults.mirror().ejection())
        .isEqualTo(
            new MirrorConfig.EjectionConfig(5, Duration.ofSeconds(10), Duration.ofMinutes(5)))
        .isEqualTo(MirrorConfig.EjectionConfig.DEFAULT);
    ProxyConfig set =
        ConfigLoader.parse(
            MINIMAL
                + "mirror: {to: canary, percent: 5, ejection: {consecutiveFailures: 3, baseTime:"
                + " 500ms, maxTime: 1h}}\n");
    assertThat(set.mirror().ejection())
        .isEqualTo(new MirrorConfig.EjectionConfig(3, Duration.ofMillis(500), Duration.ofHours(1)));
    ProxyConfig off =
        ConfigLoader.parse(
            MINIMAL + "mirror: {to: canary, percent: 5, ejection: {consecutiveFailures: 0}}\n");
    assertThat(off.mirror().ejection().consecutiveFailures()).isZero();
  }

  @Test
  void minimalConfigGetsEveryDefault() throws ConfigException {
    ProxyConfig c = ConfigLoader.parse(MINIMAL);

    assertThat(c.listen()).isEqualTo(new HostPort("127.0.0.1", 8080));
    assertThat(c.ioThreads()).isEqualTo(Runtime.getRuntime().availableProcessors());
    assertThat(c.admin()).isEqualTo(new AdminConfig(new HostPort("127.0.0.1", 9901), null));
    assertThat(c.backends().get("stable"))
        .isEqualTo(new BackendConfig(List.of(new HostPort("127.0.0.1", 9001)), 1024));
    assertThat(c.routing())
        .isEqualTo(
            new RoutingConfig(
                "stable", "canary", List.of(), 0, "", Anonymous.STABLE, null, List.of(), false));
    assertThat(c.mirror()).isNull();
    assertThat(c.rollout()).isNull();
    assertThat(c.timeouts())
        .isEqualTo(
            new TimeoutsConfig(
                Duration.ofSeconds(2),
                Duration.ofSeconds(30),
                Duration.ofSeconds(60),
                Duration.ofSeconds(10),
                Duration.ofSeconds(60)));
    assertThat(c.timeouts().tunnelIdle()).isEqualTo(Duration.ofHours(1));
    assertThat(c.limits()).isEqualTo(new LimitsConfig(8192, 16384, 100, 100L * 1024 * 1024));
    assertThat(c.metrics())
        .isEqualTo(new MetricsConfig(1, 60_000_000, 3, Duration.ofSeconds(10), 30));
    assertThat(c.accessLog()).isEqualTo(new AccessLogConfig(false, null, 1.0, false));
    assertThat(c.drain()).isEqualTo(new DrainConfig(Duration.ofSeconds(5), Duration.ofSeconds(20)));
  }

  @Test
  void everySectionReadsItsKeys() throws ConfigException {
    ProxyConfig c =
        ConfigLoader.parse(
            MINIMAL
                + """
                listen: "[::1]:0"
                admin: { listen: "0.0.0.0:9901", tokenFile: /etc/token }
                routing:
                  userKey: [{header: X-User}]
                  anonymous: split
                  canaryPercent: 12.5
                  salt: "42"
                  exposeVariantHeader: true
                  rules:
                    - match:
                        header: { name: X-Beta, present: true }
                        cookie: { name: Group, equals: beta }
                        path: { regex: "/api/.*" }
                      to: canary
                mirror:
                  to: canary
                  percent: 0.5
                  sampleBy: user
                  from: [canary]
                  methods: [get, Post]
                  maxBodyBytes: 64KiB
                  hostSuffix: ""
                  compare: { enabled: false, headers: [Content-Type, ETag], maxBodyBytes: 1MiB, json: true,
                             ignoreFields: [$.ts], stableBaseline: true }
                rollout:
                  steps: [0, 0.5, 100]
                  onFailure: pause
                  webhook: https://hooks.example/rollout
                  shadowGate: true
                  analysis: { confidence: 0.95, maxMismatchRate: 0.1, warmup: 45s }
                timeouts: { connect: 500ms, response: 2m, clientIdle: 1h, requestHeader: 3s, backendIdle: 90s,
                            requestBody: 5s, tunnelIdle: 10m }
                limits: { maxRequestLineBytes: 4KiB, maxHeaderBytes: 32768, maxHeaders: 50, maxBodyBytes: 1GiB,
                          requestBufferBytes: 8KiB, maxClientConnections: 2000 }
                metrics: { lowestMicros: 10, highestMicros: 1000000, significantDigits: 2, interval: 5s, window: 12,
                           jvmMeters: false }
                accessLog: { enabled: true, path: /var/log/a.json, sampleRate: 0.25, logUserKey: true }
                drain: { delay: 0s, timeout: 1m }
                """);

    assertThat(c.listen()).isEqualTo(new HostPort("::1", 0));
    assertThat(c.listen()).hasToString("[::1]:0");
    assertThat(c.admin().tokenFile()).isEqualTo(Path.of("/etc/token"));
    assertThat(c.routing().userKey()).containsExactly(new UserKeySource(Kind.HEADER, "x-user"));
    assertThat(c.routing().anonymous()).isEqualTo(Anonymous.SPLIT);
    assertThat(c.routing().canaryPercent()).isEqualTo(12.5);
    assertThat(c.routing().salt()).isEqualTo("42");
    assertThat(c.routing().exposeVariantHeader()).isTrue();
    assertThat(c.routing().rules())
        .containsExactly(
            new RuleConfig(
                new NamedMatch("x-beta", new StringMatch(Op.PRESENT, null)),
                new NamedMatch("Group", new StringMatch(Op.EQUALS, "beta")),
                new StringMatch(Op.REGEX, "/api/.*"),
                "canary"));
    MirrorConfig m = c.mirror();
    assertThat(m.sampleBy()).isEqualTo(SampleBy.USER);
    assertThat(m.from()).containsExactly("canary");
    assertThat(m.methods()).containsExactly("GET", "POST");
    assertThat(m.maxBodyBytes()).isEqualTo(65536);
    assertThat(m.hostSuffix()).isEmpty();
    assertThat(m.compare())
        .isEqualTo(
            new MirrorConfig.CompareConfig(
                false, List.of("content-type", "etag"), 1 << 20, true, List.of("$.ts"), true));
    assertThat(c.rollout().steps()).containsExactly(0.0, 0.5, 100.0);
    assertThat(c.rollout().onFailure()).isEqualTo(OnFailure.PAUSE);
    assertThat(c.rollout().webhook()).hasToString("https://hooks.example/rollout");
    assertThat(c.rollout().shadowGate()).isTrue();
    assertThat(c.rollout().analysis().confidence()).isEqualTo(0.95);
    assertThat(c.rollout().analysis().maxMismatchRate()).isEqualTo(0.1);
    assertThat(c.rollout().analysis().warmup()).isEqualTo(Duration.ofSeconds(45));
    assertThat(c.timeouts())
        .isEqualTo(
            new TimeoutsConfig(
                Duration.ofMillis(500),
                Duration.ofMinutes(2),
                Duration.ofHours(1),
                Duration.ofSeconds(3),
                Duration.ofSeconds(90),
                Duration.ofSeconds(5),
                Duration.ofMinutes(10)));
    assertThat(c.limits())
        .isEqualTo(
            new LimitsConfig(4096, 32768, 50, 1L << 30, 8192, Http2LimitsConfig.defaults(), 2000));
    assertThat(c.metrics())
        .isEqualTo(new MetricsConfig(10, 1_000_000, 2, Duration.ofSeconds(5), 12, false));
    assertThat(c.accessLog())
        .isEqualTo(new AccessLogConfig(true, Path.of("/var/log/a.json"), 0.25, true));
    assertThat(c.drain()).isEqualTo(new DrainConfig(Duration.ZERO, Duration.ofMinutes(1)));
  }

  @Test
  void reportsEveryErrorTogether() {
    ConfigException e =
        catchThrowableOfType(
            () ->
                ConfigLoader.parse(
                    MINIMAL
                        + """
                        ioThreads: 0
                        routing: { canaryPercent: 140, canary: canry }
                        metrics: { significantDigits: 7 }
                        """),
            ConfigException.class);

    assertThat(e.errors())
        .containsExactlyInAnyOrder(
            "ioThreads: 0 (expected: 1..1024)",
            "routing.canaryPercent: 140 (expected: 0..100)",
            "routing.canary: \"canry\" (expected: a name under backends: stable, canary)",
            "metrics.significantDigits: 7 (expected: 1..5)");
    assertThat(e.getMessage()).isEqualTo(String.join("\n", e.errors()));
  }

  @Test
  void invalidYamlGivesOneErrorWithLineAndColumn() {
    ConfigException e =
        catchThrowableOfType(
            () -> ConfigLoader.parse("backends:\n  stable: { endpoints: [a:1] }\n  canary: : x\n"),
            ConfigException.class);

    assertThat(e.errors()).hasSize(1);
    assertThat(e.errors().get(0)).startsWith("<root>: not valid YAML at line 3, column 11: ");
  }

  @Test
  void duplicateKeysAreRejected() {
    assertThatThrownBy(
            () -> ConfigLoader.parse(MINIMAL + "listen: 127.0.0.1:1\nlisten: 127.0.0.1:2\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("duplicate key \"listen\"");
  }

  @Test
  void emptyFileIsAnError(@TempDir Path dir) throws IOException {
    Path file = Files.writeString(dir.resolve("empty.yaml"), "  \n# only a comment\n");

    assertThatThrownBy(() -> ConfigLoader.load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessage("<root>: empty (expected: a mapping with at least a backends section)");
  }

  @Test
  void loadReadsTheFile(@TempDir Path dir) throws IOException, ConfigException {
    // load also reads the token file the example names, so it must exist.
    Path token = Files.writeString(dir.resolve("token"), "t0ken\n");
    String yaml = CONTRACT_EXAMPLE.replace("/path/to/token", token.toString());
    Path file = Files.writeString(dir.resolve("c.yaml"), yaml);

    assertThat(ConfigLoader.load(file)).isEqualTo(ConfigLoader.parse(yaml));
  }

  @Test
  void missingFileNamesTheFile(@TempDir Path dir) {
    Path file = dir.resolve("nope.yaml");

    assertThatThrownBy(() -> ConfigLoader.load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(file + ": cannot be read");
  }
}

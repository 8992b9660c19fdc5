package io.canaryproxy.mirroring;

import io.canaryproxy.config.MirrorConfig;
import io.canaryproxy.config.MirrorConfig.CompareConfig;
import io.canaryproxy.config.MirrorConfig.EjectionConfig;
import io.canaryproxy.config.MirrorConfig.SampleBy;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/** Mirror sections for tests: the documented defaults, with a fluent way to change one key. */
record MirrorConfigs(MirrorConfig config) {
  static MirrorConfigs percent(double percent) {
    return new MirrorConfigs(
        new MirrorConfig(
            "shadow",
            percent,
            SampleBy.REQUEST,
            Set.of("stable", "canary"),
            Set.of("GET", "HEAD", "OPTIONS"),
            1 << 20,
            256,
            Duration.ofSeconds(5),
            "-shadow",
            new CompareConfig(true, List.of("content-type"), 256 << 10, false, List.of(), false)));
  }

  MirrorConfigs sampleBy(SampleBy by) {
    MirrorConfig c = config;
    return new MirrorConfigs(
        new MirrorConfig(
            c.to(),
            c.percent(),
            by,
            c.from(),
            c.methods(),
            c.maxBodyBytes(),
            c.maxInFlight(),
            c.timeout(),
            c.hostSuffix(),
            c.compare(),
            c.grpc(),
            c.ejection()));
  }

  MirrorConfigs from(String... variants) {
    MirrorConfig c = config;
    return new MirrorConfigs(
        new MirrorConfig(
            c.to(),
            c.percent(),
            c.sampleBy(),
            Set.of(variants),
            c.methods(),
            c.maxBodyBytes(),
            c.maxInFlight(),
            c.timeout(),
            c.hostSuffix(),
            c.compare(),
            c.grpc(),
            c.ejection()));
  }

  MirrorConfigs grpc(MirrorConfig.GrpcMirror mode) {
    MirrorConfig c = config;
    return new MirrorConfigs(
        new MirrorConfig(
            c.to(),
            c.percent(),
            c.sampleBy(),
            c.from(),
            c.methods(),
            c.maxBodyBytes(),
            c.maxInFlight(),
            c.timeout(),
            c.hostSuffix(),
            c.compare(),
            mode,
            c.ejection()));
  }

  MirrorConfigs methods(String... methods) {
    MirrorConfig c = config;
    return new MirrorConfigs(
        new MirrorConfig(
            c.to(),
            c.percent(),
            c.sampleBy(),
            c.from(),
            Set.of(methods),
            c.maxBodyBytes(),
            c.maxInFlight(),
            c.timeout(),
            c.hostSuffix(),
            c.compare(),
            c.grpc(),
            c.ejection()));
  }

  MirrorConfigs limits(long maxBodyBytes, int maxInFlight, Duration timeout) {
    MirrorConfig c = config;
    return new MirrorConfigs(
        new MirrorConfig(
            c.to(),
            c.percent(),
            c.sampleBy(),
            c.from(),
            c.methods(),
            maxBodyBytes,
            maxInFlight,
            timeout,
            c.hostSuffix(),
            c.compare(),
            c.grpc(),
            c.ejection()));
  }

  MirrorConfigs compare(CompareConfig compare) {
    MirrorConfig c = config;
    return new MirrorConfigs(
        new MirrorConfig(
            c.to(),
            c.percent(),
            c.sampleBy(),
            c.from(),
            c.methods(),
            c.maxBodyBytes(),
            c.maxInFlight(),
            c.timeout(),
            c.hostSuffix(),
            compare,
            c.grpc(),
            c.ejection()));
  }

  MirrorConfigs ejection(int consecutiveFailures, Duration baseTime, Duration maxTime) {
    return new MirrorConfigs(
        config.withEjection(new EjectionConfig(consecutiveFailures, baseTime, maxTime)));
  }

  /** Every copy is sent however often the shadow fails: {@code consecutiveFailures: 0}. */
  MirrorConfigs noEjection() {
    return new MirrorConfigs(config.withEjection(EjectionConfig.OFF));
  }
}

package io.canaryproxy.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.config.RolloutConfig.OnFailure;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The lifecycle keys of {@code rollout} as loaded, with their defaults. */
class LifecycleConfigTest {
  @Test
  void absentKeysTakeTheirDefaults() throws ConfigException {
    LifecycleConfig l = load("rollout: {steps: [5]}").rollout().lifecycle();
    assertThat(l).isEqualTo(LifecycleConfig.DEFAULTS);
    assertThat(l.historySize()).isEqualTo(10);
    assertThat(l.progressDeadline()).isZero();
  }

  @Test
  void everyKeyIsRead() throws ConfigException {
    LifecycleConfig l =
        load("""
                rollout:
                  steps: [5, 100]
                  history: 3
                  progressDeadline: 15m
                  onProgressDeadline: rollback
                  gates:
                    preRollout: [{ url: "http://gates.local/smoke", timeout: 1s, retries: 0 }]
                    prePromotion: [{ url: "https://gates.local/load" }]
                  revision: { header: X-App-Version }
                  analysis:
                    interval: 5s
                    metrics:
                      - name: conv
                        prometheus: { url: "http://prom:9090", query: "sum(x)" }
                        threshold: { min: 0.1, max: 2 }
                """)
            .rollout()
            .lifecycle();
    assertThat(l.historySize()).isEqualTo(3);
    assertThat(l.progressDeadline()).isEqualTo(Duration.ofMinutes(15));
    assertThat(l.onProgressDeadline()).isEqualTo(OnFailure.ROLLBACK);
    assertThat(l.gates().preRollout())
        .singleElement()
        .satisfies(
            g -> {
              assertThat(g.url().toString()).isEqualTo("http://gates.local/smoke");
              assertThat(g.timeout()).isEqualTo(Duration.ofSeconds(1));
              assertThat(g.retries()).isZero();
            });
    assertThat(l.gates().preStep()).isEmpty();
    assertThat(l.gates().prePromotion().get(0).timeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(l.gates().prePromotion().get(0).retries()).isEqualTo(2);
    assertThat(l.revision().header()).isEqualTo("x-app-version");
    assertThat(l.revision().url()).isNull();
    assertThat(l.metrics())
        .singleElement()
        .satisfies(
            m -> {
              assertThat(m.min()).isEqualTo(0.1);
              assertThat(m.max()).isEqualTo(2.0);
              assertThat(m.interval()).isEqualTo(Duration.ofSeconds(5)); // analysis.interval
            });
  }

  private static ProxyConfig load(String rollout) throws ConfigException {
    return ConfigLoader.parse(
        """
        listen: 127.0.0.1:0
        backends:
          stable: { endpoints: ["127.0.0.1:1"] }
          canary: { endpoints: ["127.0.0.1:2"] }
        """
            + rollout);
  }
}

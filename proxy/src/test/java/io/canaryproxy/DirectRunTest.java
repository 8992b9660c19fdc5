package io.canaryproxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Which command lines skip picocli: only the container's {@code run --config FILE}. */
class DirectRunTest {
  @Test
  void runWithAConfigFileIsRunDirectly() {
    assertThat(DirectRun.configOf(new String[] {"run", "--config", "/etc/c.yaml"}))
        .isEqualTo(Path.of("/etc/c.yaml"));
    assertThat(DirectRun.configOf(new String[] {"run", "--config=/etc/c.yaml"}))
        .isEqualTo(Path.of("/etc/c.yaml"));
  }

  @Test
  void everythingElseGoesThroughPicocli() {
    String[][] others = {
      {},
      {"--help"},
      {"--version"},
      {"run"},
      {"run", "--help"},
      {"run", "--config"},
      {"run", "--config="},
      {"run", "--config", "--help"},
      {"run", "--config", "-"},
      {"run", "--config", "a.yaml", "--help"},
      {"run", "--config", "a.yaml", "extra"},
      {"run", "-h", "--config", "a.yaml"},
      {"validate", "--config", "a.yaml"},
      {"demo"},
      {"RUN", "--config", "a.yaml"},
      {"run", "--config", "a\0b"},
    };
    for (String[] args : others) {
      assertThat(DirectRun.configOf(args)).as(String.join(" ", args)).isNull();
    }
  }
}

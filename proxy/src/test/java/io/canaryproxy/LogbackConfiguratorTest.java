package io.canaryproxy;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator.ExecutionStatus;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.Logger;

/** The logging set-up in code that replaced logback.xml, and the files that still override it. */
class LogbackConfiguratorTest {

  @ParameterizedTest
  @CsvSource(
      value = {"null, INFO", "DEBUG, DEBUG", "warn, WARN", "nonsense, INFO"},
      nullValues = "null")
  void logsToStderrWithNettyAtWarnAndTheRootAtTheEnvironmentsLevel(String env, String level) {
    LoggerContext context = new LoggerContext();
    LogbackConfigurator.apply(context, env);

    ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    assertThat(root.getLevel()).isEqualTo(Level.toLevel(level));
    assertThat(context.getLogger("io.netty").getLevel()).isEqualTo(Level.WARN);
    assertThat(context.getLogger("io.netty.channel").getEffectiveLevel()).isEqualTo(Level.WARN);
    ConsoleAppender<ILoggingEvent> stderr =
        (ConsoleAppender<ILoggingEvent>) root.getAppender("STDERR");
    assertThat(stderr.isStarted()).isTrue();
    assertThat(stderr.getTarget()).isEqualTo("System.err");
    assertThat(((PatternLayoutEncoder) stderr.getEncoder()).getPattern())
        .isEqualTo(LogbackConfigurator.PATTERN);
    context.stop();
  }

  @Test
  void aLogbackTestXmlOnTheClassPathTakesOver() {
    assertThat(getClass().getClassLoader().getResource("logback-test.xml")).isNotNull();
    LoggerContext context = new LoggerContext();
    assertThat(new LogbackConfigurator().configure(context))
        .isEqualTo(ExecutionStatus.INVOKE_NEXT_IF_ANY);
    assertThat(context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDERR")).isNull();
  }

  @Test
  void isRegisteredForLogbacksServiceLoader() throws Exception {
    try (InputStream in =
        getClass()
            .getResourceAsStream("/META-INF/services/ch.qos.logback.classic.spi.Configurator")) {
      assertThat(in).isNotNull();
      assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8).strip())
          .isEqualTo(LogbackConfigurator.class.getName());
    }
  }
}

package io.canaryproxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.canaryproxy.testing.SpecialFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Config and token files are read with a bound, and only when they are regular files: a symlink to
 * {@code /dev/zero}, a FIFO or a huge file is one error line naming the file, not a dead JVM.
 */
class ConfigFilesTest {
  private static final String MINIMAL =
      "backends: {stable: {endpoints: [\"127.0.0.1:1\"]}, canary: {endpoints:"
          + " [\"127.0.0.1:2\"]}}\n";
  private static final String TOKEN_EXPECTED =
      "; expected: a regular file of at most 4 KiB holding the token)";

  /** Fails rather than hangs if a read blocks (a FIFO) or runs away (/dev/zero). */
  private static final Duration PROMPTLY = Duration.ofSeconds(10);

  @TempDir Path dir;

  private String loadError(Path file) {
    ConfigException e =
        assertTimeoutPreemptively(
            PROMPTLY,
            () -> catchThrowableOfType(() -> ConfigLoader.load(file), ConfigException.class));
    assertThat(e).as("no error for %s", file).isNotNull();
    assertThat(e.errors()).hasSize(1);
    return e.errors().get(0);
  }

  @Test
  void aConfigOfExactlyTheCapLoads() throws Exception {
    byte[] padded = pad(MINIMAL, ConfigFiles.MAX_CONFIG_BYTES);
    Path file = Files.write(dir.resolve("config.yaml"), padded);

    assertThat(ConfigLoader.load(file).backends()).containsOnlyKeys("stable", "canary");
  }

  @Test
  void aConfigOneByteOverTheCapIsRefused() throws Exception {
    Path file =
        Files.write(dir.resolve("config.yaml"), pad(MINIMAL, ConfigFiles.MAX_CONFIG_BYTES + 1));

    assertThat(loadError(file)).isEqualTo(file + ": cannot be read: larger than 1 MiB");
  }

  @Test
  void aSymlinkToDevZeroIsRefused() throws Exception {
    Path file = SpecialFiles.devZero(dir.resolve("config.yaml"));

    assertThat(loadError(file)).isEqualTo(file + ": cannot be read: not a regular file");
  }

  @Test
  void aFifoIsRefusedWithoutBlocking() throws Exception {
    Path file = SpecialFiles.fifo(dir.resolve("config.yaml"));

    assertThat(loadError(file)).isEqualTo(file + ": cannot be read: not a regular file");
  }

  /**
   * A ConfigMap volume: {@code config.yaml} links to {@code ..data/config.yaml}, and {@code ..data}
   * to the current version's directory, swapped at any time. A swap to a version whose file is a
   * FIFO, made just after the check passed on the old version, must not make the read open (and
   * block on) the FIFO.
   */
  @Test
  void aSwapToAFifoJustAfterTheCheckDoesNotBlockTheRead() throws Exception {
    Path v1 = Files.createDirectory(dir.resolve("..v1"));
    Files.writeString(v1.resolve("config.yaml"), MINIMAL);
    Path v2 = Files.createDirectory(dir.resolve("..v2"));
    SpecialFiles.fifo(v2.resolve("config.yaml"));
    Path data = Files.createSymbolicLink(dir.resolve("..data"), v1.getFileName());
    Path file =
        Files.createSymbolicLink(dir.resolve("config.yaml"), Path.of("..data", "config.yaml"));
    Runnable swapToV2 =
        () -> {
          try {
            Path tmp = Files.createSymbolicLink(dir.resolve("..data_tmp"), v2.getFileName());
            Files.move(
                tmp, data, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        };

    byte[] content =
        assertTimeoutPreemptively(
            PROMPTLY, () -> ConfigFiles.read(file, ConfigFiles.MAX_CONFIG_BYTES, swapToV2));

    assertThat(new String(content, StandardCharsets.UTF_8))
        .as("the version that was checked")
        .isEqualTo(MINIMAL);
    assertThat(loadError(file))
        .as("the next read sees the swap")
        .isEqualTo(file + ": cannot be read: not a regular file");
  }

  @Test
  void aDirectoryIsRefused() throws Exception {
    Path file = Files.createDirectory(dir.resolve("config.yaml"));

    assertThat(loadError(file)).isEqualTo(file + ": cannot be read: not a regular file");
  }

  @Test
  void aMissingFileIsNamed() {
    Path file = dir.resolve("nope.yaml");

    assertThat(loadError(file)).isEqualTo(file + ": cannot be read: no such file");
  }

  @Test
  void anEmptyTokenFileIsAnErrorAtItsYamlPath() throws Exception {
    Path token = Files.writeString(dir.resolve("token"), " \n\t\n");

    assertThat(loadError(config("tokenFile: \"" + token + "\"")))
        .isEqualTo("admin.tokenFile: " + token + " (cannot be read: empty" + TOKEN_EXPECTED);
  }

  @Test
  void everyUnreadableTokenFileIsReportedWithTheOtherErrors() throws Exception {
    Path missing = dir.resolve("missing-token");
    Path fifo = SpecialFiles.fifo(dir.resolve("fifo-token"));
    Path config =
        config(
            "tokenFile: \"" + missing + "\", readTokenFile: \"" + fifo + "\"",
            "routing: {canaryPercent: 140}");

    ConfigException e =
        assertTimeoutPreemptively(
            PROMPTLY,
            () -> catchThrowableOfType(() -> ConfigLoader.load(config), ConfigException.class));

    assertThat(e.errors())
        .containsExactly(
            "admin.tokenFile: " + missing + " (cannot be read: no such file" + TOKEN_EXPECTED,
            "admin.readTokenFile: "
                + fifo
                + " (cannot be read: not a regular file"
                + TOKEN_EXPECTED,
            "routing.canaryPercent: 140 (expected: 0..100)");
  }

  @Test
  void aTokenFileOverFourKibIsRefused() throws Exception {
    Path token =
        Files.writeString(dir.resolve("token"), "x".repeat(ConfigFiles.MAX_TOKEN_BYTES + 1));

    assertThat(loadError(config("tokenFile: \"" + token + "\"")))
        .isEqualTo(
            "admin.tokenFile: " + token + " (cannot be read: larger than 4 KiB" + TOKEN_EXPECTED);
  }

  @Test
  void theReadTokenMustDifferFromTheControlToken() throws Exception {
    Path control = Files.writeString(dir.resolve("control"), "same\n");
    Path read = Files.writeString(dir.resolve("read"), "  same");

    assertThat(loadError(config("tokenFile: \"" + control + "\", readTokenFile: \"" + read + "\"")))
        .isEqualTo(
            "admin.readTokenFile: "
                + read
                + " (expected: a token different from the one in admin.tokenFile)");
  }

  @Test
  void tokensAreReadTrimmedAndNeverShownByToString() throws Exception {
    Path control = Files.writeString(dir.resolve("control"), "  c0ntrol\n");
    Path read = Files.writeString(dir.resolve("read"), "r3ad\n");
    ProxyConfig c =
        ConfigLoader.load(
            config(
                "listen: \"0.0.0.0:9901\", tokenFile: \""
                    + control
                    + "\", readTokenFile: \""
                    + read
                    + "\", publicMetrics: true"));

    AdminConfig.Tokens tokens = ConfigFiles.readTokens(c.admin());

    assertThat(c.admin())
        .isEqualTo(new AdminConfig(new HostPort("0.0.0.0", 9901), control, read, true));
    assertThat(tokens.control()).isEqualTo("c0ntrol");
    assertThat(tokens.read()).isEqualTo("r3ad");
    assertThat(tokens.toString()).doesNotContain("c0ntrol", "r3ad");
  }

  @Test
  void parseAloneDoesNotReadTokenFiles() throws Exception {
    ProxyConfig c =
        ConfigLoader.parse(MINIMAL + "admin: {tokenFile: " + dir.resolve("missing") + "}\n");

    assertThat(c.admin().tokenFile()).isEqualTo(dir.resolve("missing"));
    assertThatThrownBy(() -> ConfigFiles.readTokens(c.admin()))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("admin.tokenFile: " + dir.resolve("missing"));
  }

  private Path config(String admin, String... more) throws IOException {
    return Files.writeString(
        dir.resolve("config.yaml"),
        MINIMAL + "admin: {" + admin + "}\n" + String.join("\n", more) + "\n");
  }

  /** {@code yaml} followed by comment lines up to exactly {@code size} bytes. */
  static byte[] pad(String yaml, int size) {
    StringBuilder sb = new StringBuilder(size).append(yaml);
    while (sb.length() < size) {
      int left = size - sb.length();
      if (left == 1) {
        sb.append('\n');
      } else {
        sb.append('#').append("x".repeat(Math.min(left - 2, 100))).append('\n');
      }
    }
    return sb.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  }
}

package io.canaryproxy.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices when the config file changes and hands the new, fully validated config on. It watches the
 * file's <em>directory</em>, not the file: a Kubernetes ConfigMap volume updates by swapping a
 * {@code ..data} symlink, and a watch on the file itself sees one delete and then never fires again
 * (kubernetes#112677). A poll that compares content hashes backs the watch up, and {@link #check()}
 * may be called at any time (on SIGHUP). A change is acted on only when the content's hash differs
 * from the last one seen, so repeated events cost one read each.
 *
 * <p>Reads are bounded like {@link ConfigLoader#load}'s, and every check, parse and reload runs on
 * the watcher's own thread ({@value #THREAD_NAME}), so a slow parse never delays the metrics
 * intervals or the rollout judge. A file that cannot be read (too large, not a regular file) is
 * reported once per distinct problem; the running config stays live.
 */
public final class ConfigWatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ConfigWatcher.class);

  /** The name of the one thread that watches, reads, parses and applies new versions. */
  public static final String THREAD_NAME = "canary-config-watch";

  private final Path file;
  private final Consumer<ProxyConfig> onValid;
  private final Consumer<List<String>> onInvalid;
  private final DirectoryWatch watch;
  private byte[] lastHash;
  private String lastProblem;

  /**
   * @param file the config file (it may be a symlink, as in a ConfigMap volume)
   * @param initialContent the content already in use, so the first check does not reload it
   * @param onValid receives each new valid config
   * @param onInvalid receives the errors of each new invalid or unreadable config, which is not
   *     used
   */
  public ConfigWatcher(
      Path file,
      byte[] initialContent,
      Consumer<ProxyConfig> onValid,
      Consumer<List<String>> onInvalid) {
    this.file = file.toAbsolutePath();
    this.onValid = onValid;
    this.onInvalid = onInvalid;
    this.watch = new DirectoryWatch(THREAD_NAME, this::checkNow);
    this.lastHash = sha256(initialContent);
  }

  /** Starts watching the directory and polling every {@code pollInterval}. */
  public void start(Duration pollInterval) throws IOException {
    watch.start(List.of(file), pollInterval);
  }

  /**
   * Reads the file and reloads when its content changed. Safe to call from any thread, any time.
   */
  public void check() {
    watch.check();
  }

  private void checkNow() {
    byte[] content;
    try {
      content = ConfigFiles.read(file, ConfigFiles.MAX_CONFIG_BYTES);
    } catch (ConfigFiles.Unreadable e) {
      if (e.missing()) {
        log.debug("config {} not readable right now: {}", file, e.getMessage());
        return; // mid-swap; the next event or poll sees the new file
      }
      String problem = file + ": cannot be read: " + e.getMessage();
      if (!problem.equals(lastProblem)) {
        lastProblem = problem;
        onInvalid.accept(List.of(problem));
      }
      return;
    }
    lastProblem = null;
    byte[] hash = sha256(content);
    if (Arrays.equals(hash, lastHash)) {
      return;
    }
    lastHash = hash;
    try {
      ProxyConfig next = ConfigLoader.parse(new String(content, StandardCharsets.UTF_8), true);
      onValid.accept(next);
    } catch (ConfigException e) {
      onInvalid.accept(e.errors());
    } catch (RuntimeException e) {
      log.error("config reload failed: {}", e.toString());
      onInvalid.accept(List.of("<root>: " + e.getMessage()));
    }
  }

  private static byte[] sha256(byte[] content) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(content);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    watch.close();
  }
}

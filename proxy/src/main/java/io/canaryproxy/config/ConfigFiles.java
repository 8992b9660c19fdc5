package io.canaryproxy.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the files a configuration consists of, always with a bound: the config file (at most {@link
 * #MAX_CONFIG_BYTES}) and the admin token files (at most {@link #MAX_TOKEN_BYTES}). Each must be a
 * regular file once symlinks are followed, so a path that points at a FIFO, a device such as {@code
 * /dev/zero} or a directory is refused before it is opened. A failure is reported as {@code cannot
 * be read: REASON}.
 */
public final class ConfigFiles {
  /** Largest config file accepted, in bytes: 1 MiB. */
  public static final int MAX_CONFIG_BYTES = 1 << 20;

  /** Largest admin token file accepted, in bytes: 4 KiB. */
  public static final int MAX_TOKEN_BYTES = 4 << 10;

  private ConfigFiles() {}

  /**
   * The content of the config file.
   *
   * @throws ConfigException with one line such as {@code config.yaml: cannot be read: larger than 1
   *     MiB}
   */
  public static byte[] readConfig(Path file) throws ConfigException {
    try {
      return read(file, MAX_CONFIG_BYTES);
    } catch (Unreadable e) {
      throw new ConfigException(List.of(file + ": cannot be read: " + e.getMessage()));
    }
  }

  /**
   * The bearer tokens named by the admin section, trimmed.
   *
   * @throws ConfigException naming {@code admin.tokenFile} or {@code admin.readTokenFile} when a
   *     file cannot be read or holds only whitespace
   */
  public static AdminConfig.Tokens readTokens(AdminConfig admin) throws ConfigException {
    List<String> errors = new ArrayList<>();
    AdminConfig.Tokens tokens = readTokens(admin, errors);
    if (!errors.isEmpty()) {
      throw new ConfigException(errors);
    }
    return tokens;
  }

  /** As {@link #readTokens(AdminConfig)}, adding each error to {@code errors}. */
  static AdminConfig.Tokens readTokens(AdminConfig admin, List<String> errors) {
    String control = token("admin.tokenFile", admin.tokenFile(), errors);
    String read = token("admin.readTokenFile", admin.readTokenFile(), errors);
    if (control != null && control.equals(read)) {
      errors.add(
          "admin.readTokenFile: "
              + admin.readTokenFile()
              + " (expected: a token different from the one in admin.tokenFile)");
    }
    return new AdminConfig.Tokens(control, read);
  }

  private static String token(String key, Path file, List<String> errors) {
    return secret(key, file, "the token", errors);
  }

  /**
   * The content of a secret file, trimmed, or {@code null} when {@code file} is; each problem goes
   * to {@code errors}, starting with {@code key}.
   *
   * @param what what the file holds, for the message ({@code "the token"})
   */
  static String secret(String key, Path file, String what, List<String> errors) {
    if (file == null) {
      return null;
    }
    String reason;
    try {
      String token = new String(read(file, MAX_TOKEN_BYTES), StandardCharsets.UTF_8).trim();
      if (!token.isEmpty()) {
        return token;
      }
      reason = "empty";
    } catch (Unreadable e) {
      reason = e.getMessage();
    }
    errors.add(
        key
            + ": "
            + file
            + " (cannot be read: "
            + reason
            + "; expected: a regular file of at most "
            + show(MAX_TOKEN_BYTES)
            + " holding "
            + what
            + ")");
    return null;
  }

  /**
   * The etcd password named by {@code rollout.coordination.passwordFile}, trimmed, or {@code null}
   * when none is configured.
   *
   * @throws ConfigException naming {@code rollout.coordination.passwordFile} when it cannot be read
   *     or holds only whitespace
   */
  public static String readEtcdPassword(CoordinationConfig c) throws ConfigException {
    List<String> errors = new ArrayList<>();
    String password = secret(ETCD_PASSWORD, c.passwordFile(), "the password", errors);
    if (!errors.isEmpty()) {
      throw new ConfigException(errors);
    }
    return password;
  }

  static final String ETCD_PASSWORD = "rollout.coordination.passwordFile";

  /**
   * Reads at most {@code maxBytes} of a regular file.
   *
   * @throws Unreadable saying why, e.g. {@code not a regular file}
   */
  static byte[] read(Path file, int maxBytes) throws Unreadable {
    return read(file, maxBytes, () -> {});
  }

  /**
   * As {@link #read(Path, int)}, running {@code afterCheck} between the regular-file check and the
   * open (tests swap the file there).
   */
  static byte[] read(Path file, int maxBytes, Runnable afterCheck) throws Unreadable {
    try {
      // Opening a FIFO would block until a writer appears, and a device such as /dev/zero never
      // ends, so anything but a regular file is refused before it is opened. The symlinks are
      // followed once, and the file they led to is what is checked and then opened (never through
      // a link again): a ConfigMap swaps its ..data link at any time, and a swap between the check
      // and the open would otherwise open whatever the link points to by then, unchecked.
      Path real = file.toRealPath();
      if (!Files.readAttributes(real, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
          .isRegularFile()) {
        throw new Unreadable("not a regular file", false);
      }
      afterCheck.run();
      try (InputStream in = Files.newInputStream(real, LinkOption.NOFOLLOW_LINKS)) {
        // The size from stat is not trusted: the file may grow between the check and the read.
        byte[] bytes = in.readNBytes(maxBytes + 1);
        if (bytes.length > maxBytes) {
          throw new Unreadable("larger than " + show(maxBytes), false);
        }
        return bytes;
      }
    } catch (NoSuchFileException e) {
      throw new Unreadable("no such file", true);
    } catch (AccessDeniedException e) {
      throw new Unreadable("permission denied", false);
    } catch (IOException e) {
      throw new Unreadable(
          e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage(), false);
    }
  }

  /** {@code 1 MiB}, {@code 4 KiB} or a number of bytes. */
  static String show(long bytes) {
    if (bytes >= 1 << 20 && bytes % (1 << 20) == 0) {
      return (bytes >> 20) + " MiB";
    }
    if (bytes >= 1 << 10 && bytes % (1 << 10) == 0) {
      return (bytes >> 10) + " KiB";
    }
    return bytes + " bytes";
  }

  /** Why a file cannot be read; the message is the reason alone. */
  static final class Unreadable extends Exception {
    private static final long serialVersionUID = 1L;

    private final boolean missing;

    Unreadable(String reason, boolean missing) {
      super(reason, null, false, false);
      this.missing = missing;
    }

    /** The file does not exist (yet): a ConfigMap swap may be in progress. */
    boolean missing() {
      return missing;
    }
  }
}

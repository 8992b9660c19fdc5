package io.canaryproxy.tls;

import io.canaryproxy.config.BackendConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Follows the PEM files of every {@code backends.NAME.tls} section in the running config (CA,
 * client certificate and key), so that a rotated backend CA or client certificate is used by new
 * backend connections without a restart; connections already pooled keep their session. One {@link
 * CertificateWatcher} over all the files, replaced when a config reload changes the set. Nothing
 * runs (no thread) while no backend names a TLS file.
 */
public final class BackendTlsReloader implements AutoCloseable {
  private final Duration pollInterval;
  private CertificateWatcher watcher;

  public BackendTlsReloader(Duration pollInterval) {
    this.pollInterval = pollInterval;
  }

  /** Watches the TLS files of {@code backends}; call at start and after each config reload. */
  public synchronized void follow(Collection<BackendConfig> backends) {
    Set<Path> files = new LinkedHashSet<>();
    for (BackendConfig backend : backends) {
      if (backend.tls() != null && backend.tls().enabled()) {
        files.addAll(BackendTls.files(backend.tls()));
      }
    }
    List<Path> wanted = List.copyOf(files);
    if (watcher != null && watcher.files().equals(wanted)) {
      return;
    }
    close();
    if (wanted.isEmpty()) {
      return;
    }
    watcher = new CertificateWatcher(wanted, BackendTls::reloadChanged, "canary-backend-tls");
    try {
      watcher.start(pollInterval);
    } catch (IOException e) {
      throw new UncheckedIOException("backend tls: cannot watch " + wanted, e);
    }
  }

  @Override
  public synchronized void close() {
    if (watcher != null) {
      watcher.close();
      watcher = null;
    }
  }
}

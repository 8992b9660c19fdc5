package io.canaryproxy.config;

import java.util.List;

/**
 * A configuration that cannot be used. It carries every error found, each one line that starts with
 * the YAML path, e.g. {@code routing.canaryPercent: 140 (expected: 0..100)}; {@link #getMessage()}
 * joins them with newlines.
 */
public final class ConfigException extends Exception {
  private static final long serialVersionUID = 1L;

  private final List<String> errors;

  /**
   * @param errors at least one error line
   */
  public ConfigException(List<String> errors) {
    super(String.join("\n", errors));
    if (errors.isEmpty()) {
      throw new IllegalArgumentException("errors: [] (expected: at least one error)");
    }
    this.errors = List.copyOf(errors);
  }

  /** Every error, in the order found. */
  public List<String> errors() {
    return errors;
  }
}

package io.canaryproxy.bench;

import picocli.CommandLine;

/**
 * Entry point of {@code canary-bench.jar}: the load command with the {@code backend}, {@code
 * report} and {@code jmh} subcommands.
 */
public final class BenchMain {
  private BenchMain() {}

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The configured picocli command line (also used by tests). */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new LoadCommand());
    cl.getSubcommands().get("jmh").setUnmatchedOptionsArePositionalParams(true);
    return cl;
  }
}

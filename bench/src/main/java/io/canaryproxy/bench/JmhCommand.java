package io.canaryproxy.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code canary-bench jmh [JMH options]}: hands every argument to {@code org.openjdk.jmh.Main}. */
@Command(
    name = "jmh",
    description =
        "Run the JMH benchmarks; arguments go to org.openjdk.jmh.Main (try: jmh -l, jmh -prof gc Recorder).")
final class JmhCommand implements Callable<Integer> {
  @Parameters(arity = "0..*", paramLabel = "ARG")
  List<String> args = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    org.openjdk.jmh.Main.main(args.toArray(new String[0]));
    return 0;
  }
}

using System.Globalization;

namespace Quorum.Benchmarks.EndToEnd;

/// <summary>The e2e verb's flags.</summary>
public sealed record E2eOptions
{
    public string Kubeconfig { get; init; } = "";
    public int Nodes { get; init; } = 500;
    public int Pods { get; init; } = 2000;

    /// <summary>0: single pods; otherwise gangs of this many pods with a required NVLink level.</summary>
    public int GangSize { get; init; }

    public string? CompareKubeScheduler { get; init; }
    public float Qps { get; init; } = 5000;
    public int Burst { get; init; } = 5000;
    public int BindParallelism { get; init; } = 16;
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(10);
    public string? JsonFile { get; init; }

    /// <summary>Instead of scheduling: Quorum's host idles this long beside the nodes; the managed heap is reported at start and end.</summary>
    public int IdleSeconds { get; init; }

    public const string Usage = """
        usage: Scheduler.Benchmarks e2e --kubeconfig PATH [--nodes N] [--pods M] [--gang-size K]
                                        [--compare-kube-scheduler BIN] [--qps Q] [--burst B]
                                        [--bind-parallelism P] [--timeout SECONDS] [--json FILE]
          --kubeconfig              a cluster-admin kubeconfig of a throwaway API server (tests/real-apiserver/start)
          --nodes                   fake GPU nodes to create, 8 GPUs each, 18 per NVLink clique, 288 per block (default 500)
          --pods                    pending pods to create, 1 GPU each (default 2000)
          --gang-size               0: single pods (default); K: gangs of K pods requiring one NVLink clique
          --compare-kube-scheduler  also run this kube-scheduler binary on the same nodes, same client limits
          --qps, --burst            client limits of every scheduler and of the bare binder (default 5000, 5000)
          --bind-parallelism        Quorum's bindParallelism and the bare binder's parallelism (default 16)
          --timeout                 per scheduler, from start to all bound (default 600)
          --json                    write the figures as JSON to FILE
          --idle-seconds            instead: run Quorum idle this long beside the nodes, report its managed heap at start and end
        """;

    public static (E2eOptions? Options, string? Error) Parse(string[] args)
    {
        var o = new E2eOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var flag = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{flag} needs a value");
            int Int(int min, int max)
            {
                var text = Value();
                return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max
                    ? v : throw new ArgumentException($"{flag}: \"{text}\" is not an integer from {min} to {max}");
            }
            try
            {
                switch (flag)
                {
                    case "--kubeconfig": o = o with { Kubeconfig = Value() }; break;
                    case "--nodes": o = o with { Nodes = Int(1, 100_000) }; break;
                    case "--pods": o = o with { Pods = Int(1, 1_000_000) }; break;
                    case "--gang-size": o = o with { GangSize = Int(0, 10_000) }; break;
                    case "--compare-kube-scheduler": o = o with { CompareKubeScheduler = Value() }; break;
                    case "--qps": o = o with { Qps = Int(1, 1_000_000) }; break;
                    case "--burst": o = o with { Burst = Int(1, 1_000_000) }; break;
                    case "--bind-parallelism": o = o with { BindParallelism = Int(1, 256) }; break;
                    case "--timeout": o = o with { Timeout = TimeSpan.FromSeconds(Int(1, 86_400)) }; break;
                    case "--json": o = o with { JsonFile = Value() }; break;
                    case "--idle-seconds": o = o with { IdleSeconds = Int(1, 86_400) }; break;
                    case "--help": return (null, null);
                    default: return (null, $"unknown flag {flag}");
                }
            }
            catch (ArgumentException e)
            {
                return (null, e.Message);
            }
        }
        if (o.Kubeconfig.Length == 0) return (null, "--kubeconfig is required (a throwaway API server: tests/real-apiserver/start prints one)");
        if (!File.Exists(o.Kubeconfig)) return (null, $"--kubeconfig: \"{o.Kubeconfig}\" does not exist");
        if (o.CompareKubeScheduler is { } bin && !File.Exists(bin)) return (null, $"--compare-kube-scheduler: \"{bin}\" does not exist");
        if (o.GangSize > 0 && o.Pods % o.GangSize != 0) return (null, $"--pods: {o.Pods} is not a multiple of --gang-size {o.GangSize}");
        if (o.GangSize > 18 * 8) return (null, $"--gang-size: {o.GangSize} one-GPU pods do not fit one NVLink clique of 18 nodes × 8 GPUs");
        if (o.Pods > o.Nodes * 8) return (null, $"--pods: {o.Pods} one-GPU pods do not fit {o.Nodes} nodes of 8 GPUs");
        return (o, null);
    }
}

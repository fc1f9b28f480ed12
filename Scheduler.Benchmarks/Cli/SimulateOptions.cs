using System.Globalization;
using Quorum.Benchmarks.Simulation;

namespace Quorum.Benchmarks.Cli;

/// <summary>Flags of the simulate verb. Parse errors name the flag and the value; the caller exits with 2.</summary>
public sealed record SimulateOptions
{
    public const int MinNodes = 100;
    public const int MaxNodes = 100_000;

    public string Profile { get; init; } = SimulatedCluster.Gb200Profile;
    public int Nodes { get; init; } = 2000;
    public int Seed { get; init; } = 1;
    public string Workload { get; init; } = WorkloadGenerator.MixedMix;

    /// <summary>Simulated seconds; 4 h by default, several lifetimes of the longest-running groups.</summary>
    public double Duration { get; init; } = 4 * 3600;

    public string? JsonFile { get; init; }
    public bool Compare { get; init; }
    public IReadOnlyList<int> Sweep { get; init; } = [];
    /// <summary>Oversubscribed by default, as busy GPU clusters are: packing only matters when work queues.</summary>
    public double Load { get; init; } = 1.2;

    /// <summary>Null: none for a single run, <see cref="SweepWarmFraction"/> for a sweep.</summary>
    public double? Warm { get; init; }

    public double Patience { get; init; } = 1800;

    /// <summary>A sweep starts each size this full, so its bounded window sees a loaded cluster.</summary>
    public const double SweepWarmFraction = 0.9;

    /// <summary>Arrivals per size in a sweep: bounds the work at 100k nodes.</summary>
    public const int SweepArrivals = 1000;

    public const string Usage = """
        usage: Scheduler.Benchmarks simulate [--profile gb200-nvl72|hgx-h100|mixed] [--nodes N] [--seed S]
                                             [--workload disagg|training|mixed] [--duration SECONDS]
                                             [--load F] [--warm F] [--patience SECONDS]
                                             [--json FILE] [--compare | --sweep N,N,...]
          --profile   cluster shape (default gb200-nvl72; mixed = half GB200 NVL72, half HGX H100)
          --nodes     cluster size, 100..100000 (default 2000)
          --seed      seeds the workload stream (default 1)
          --workload  groups to generate (default mixed: disaggregated services, training gangs, single-GPU pods)
          --duration  simulated seconds of arrivals (default 14400)
          --load      offered GPU load as a fraction of the cluster's GPUs (default 1.2)
          --warm      fraction of GPUs taken by background groups at t = 0 (default 0; 0.9 in a sweep)
          --patience  simulated seconds a group waits below its minimum before it is deleted (default 1800)
          --json      write the figures as JSON to FILE (a sweep also writes FILE with .png: the plot)
          --compare   also run a pod-by-pod kube-scheduler model and a gang scheduler without topology
          --sweep     run each node count (at most 1000 arrivals each) and plot latency and memory per node
        """;

    /// <summary>Options, or the error to print (naming the bad flag or value).</summary>
    public static (SimulateOptions? Options, string? Error) Parse(IReadOnlyList<string> args)
    {
        var o = new SimulateOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var flag = args[i];
            string Value()
            {
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                    throw new FormatException($"{flag}: a value is required");
                return args[++i];
            }
            try
            {
                switch (flag)
                {
                    case "--profile": o = o with { Profile = OneOf(flag, Value(), SimulatedCluster.ProfileNames) }; break;
                    case "--nodes": o = o with { Nodes = Int(flag, Value(), MinNodes, MaxNodes) }; break;
                    case "--seed": o = o with { Seed = Int(flag, Value(), int.MinValue, int.MaxValue) }; break;
                    case "--workload": o = o with { Workload = OneOf(flag, Value(), WorkloadGenerator.MixNames) }; break;
                    case "--duration": o = o with { Duration = Real(flag, Value(), 1, 30 * 86_400) }; break;
                    case "--load": o = o with { Load = Real(flag, Value(), 0.01, 10) }; break;
                    case "--warm": o = o with { Warm = Real(flag, Value(), 0, 0.95) }; break;
                    case "--patience": o = o with { Patience = Real(flag, Value(), 1, 30 * 86_400) }; break;
                    case "--json": o = o with { JsonFile = Value() }; break;
                    case "--compare": o = o with { Compare = true }; break;
                    case "--sweep":
                    {
                        var v = Value();
                        var sizes = v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                            .Select(s => Int(flag, s, MinNodes, MaxNodes)).Distinct().Order().ToList();
                        if (sizes.Count == 0) throw new FormatException($"{flag}: \"{v}\" names no node count");
                        o = o with { Sweep = sizes };
                        break;
                    }
                    default: throw new FormatException($"{flag}: unknown flag");
                }
            }
            catch (FormatException e)
            {
                return (null, e.Message);
            }
        }
        if (o.Compare && o.Sweep.Count > 0) return (null, "--compare and --sweep cannot be combined: compare at one size, sweep Quorum alone");
        return (o, null);
    }

    private static string OneOf(string flag, string value, IReadOnlyList<string> allowed) =>
        allowed.Contains(value) ? value : throw new FormatException($"{flag}: \"{value}\" is not one of {string.Join(", ", allowed)}");

    private static int Int(string flag, string value, int min, int max)
    {
        if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n))
            throw new FormatException($"{flag}: \"{value}\" is not an integer");
        if (n < min || n > max) throw new FormatException($"{flag}: {n} is not between {min} and {max}");
        return n;
    }

    private static double Real(string flag, string value, double min, double max)
    {
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) || !double.IsFinite(x))
            throw new FormatException($"{flag}: \"{value}\" is not a number");
        if (x < min || x > max) throw new FormatException($"{flag}: {value} is not between {min} and {max}");
        return x;
    }
}

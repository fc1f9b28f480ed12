using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Quorum.Core.Gangs;
using Quorum.Core.Model;
using Quorum.Core.Framework;
using Quorum.Core.Profiles;
using Quorum.Core.Queue;
using Quorum.Kubernetes;

namespace Quorum.Cli;

/// <summary>Result of <c>whatif</c>, in the exact JSON shape documented in docs/commands.md.</summary>
public sealed record WhatIfReport(
    [property: JsonPropertyName("groups")] IReadOnlyList<WhatIfGroup> Groups,
    [property: JsonPropertyName("pods")] IReadOnlyList<WhatIfPod> Pods);

public sealed record WhatIfGroup(
    [property: JsonPropertyName("namespace")] string Namespace,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("admitted")] bool Admitted,
    [property: JsonPropertyName("reason")] string? Reason);

public sealed record WhatIfPod(
    [property: JsonPropertyName("namespace")] string Namespace,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("node")] string? Node,
    [property: JsonPropertyName("reason")] string? Reason);

/// <summary>
/// <c>quorum whatif -f cluster.yaml -f workload.yaml [-o json]</c>: schedules every pending pod of
/// Quorum's from manifests, with the code the scheduler runs, and reports what would be placed where.
/// </summary>
public static class WhatIfCommand
{
    public const string Usage = "usage: quorum whatif -f FILE [-f FILE ...] [-o table|json] [--config quorum.yaml] [--scheduler-name NAME] [--default-topology NAME]";

    // Messages carry "×" and quotes; keep them readable in the output rather than \u-escaped.
    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var files = new List<string>();
        var output = "table";
        string? schedulerName = null;
        string? defaultTopology = null;
        string? config = null;
        for (var i = 0; i < args.Length; i++)
        {
            string Value()
            {
                if (i + 1 >= args.Length) throw new ArgumentException($"flag {args[i]} needs a value");
                return args[++i];
            }
            switch (args[i])
            {
                case "-f" or "--filename": files.Add(Value()); break;
                case "-o" or "--output": output = Value(); break;
                case "--scheduler-name": schedulerName = Value(); break;
                case "--config": config = Value(); break;
                case "--default-topology": defaultTopology = Value(); break;
                default: throw new ArgumentException($"unknown flag {args[i]}");
            }
        }
        if (files.Count == 0) throw new ArgumentException("at least one -f FILE is required");
        if (output is not ("table" or "json")) throw new ArgumentException($"-o: \"{output}\" is not one of table, json");

        // The scheduler's own configuration, so the what-if decides with the same profile (plugin weights, default topology).
        Configuration.SchedulerOptions options;
        try
        {
            options = Configuration.SchedulerOptionsLoader.Load(config);
        }
        catch (Configuration.OptionsException e)
        {
            foreach (var line in e.Errors) stderr.WriteLine($"error: {line}");
            return 2;
        }
        if (defaultTopology is not null) options.DefaultTopology = defaultTopology;
        OfflineCluster cluster;
        try
        {
            cluster = OfflineCluster.Build(ManifestReader.ReadFiles(files));
        }
        catch (InvalidObjectException e)
        {
            stderr.WriteLine($"error: {e.Message}");
            return 2;
        }
        var report = Evaluate(cluster, schedulerName ?? options.SchedulerNames[0], options.CreateProfile(), out var invalid);
        if (invalid.Count > 0)
        {
            foreach (var line in invalid) stderr.WriteLine($"error: {line}");
            return 2;
        }
        if (output == "json") stdout.WriteLine(JsonSerializer.Serialize(report, Json));
        else WriteTable(report, stdout);
        return 0;
    }

    /// <summary>Runs one scheduling cycle on the offline cluster. Invalid PodGroups are listed in <paramref name="invalid"/>.</summary>
    public static WhatIfReport Evaluate(OfflineCluster cluster, string schedulerName, SchedulerProfile profile, out List<string> invalid)
    {
        var assembled = cluster.Assemble(schedulerName, profile.Options.DefaultTopology);
        invalid = [.. assembled.Refused.Where(r => r.Code == StatusCode.Invalid).Select(r => $"PodGroup {r.Group}: {r.Message}")];
        var cycle = new SchedulingCycle(new GangAdmission(profile), TimeProvider.System).Run(cluster.Snapshot, assembled.Ready);

        var groups = new List<WhatIfGroup>();
        var podResults = new Dictionary<ObjectKey, WhatIfPod>();
        foreach (var d in cycle.Decisions)
        {
            if (assembled.PodGroupKeys.Contains(d.Group))
                groups.Add(new WhatIfGroup(d.Group.Namespace, d.Group.Name, d.Admitted, d.Admitted ? null : d.Message));
            foreach (var p in d.Placements) podResults[p.Pod] = new WhatIfPod(p.Pod.Namespace, p.Pod.Name, p.Node, null);
            foreach (var f in d.Unplaced) podResults.TryAdd(f.Pod, new WhatIfPod(f.Pod.Namespace, f.Pod.Name, null, f.Reason));
        }
        foreach (var r in assembled.Refused)
        {
            groups.Add(new WhatIfGroup(r.Group.Namespace, r.Group.Name, false, r.Message));
            foreach (var p in r.Pods) podResults.TryAdd(p, new WhatIfPod(p.Namespace, p.Name, null, r.Message));
        }
        foreach (var f in assembled.RefusedPods) podResults.TryAdd(f.Pod, new WhatIfPod(f.Pod.Namespace, f.Pod.Name, null, f.Reason));
        foreach (var pod in cluster.Pods.Where(p => !p.IsBound && !p.Terminated && p.SchedulerName == schedulerName && p.SchedulingGated))
            podResults.TryAdd(pod.Key, new WhatIfPod(pod.Key.Namespace, pod.Key.Name, null, "pod has schedulingGates; not schedulable until they are removed"));

        return new WhatIfReport(
            [.. groups.OrderBy(g => g.Namespace, StringComparer.Ordinal).ThenBy(g => g.Name, StringComparer.Ordinal)],
            [.. podResults.Values.OrderBy(p => p.Namespace, StringComparer.Ordinal).ThenBy(p => p.Name, StringComparer.Ordinal)]);
    }

    private static void WriteTable(WhatIfReport report, TextWriter w)
    {
        if (report.Groups.Count > 0)
        {
            Table(w, ["NAMESPACE", "PODGROUP", "ADMITTED", "REASON"],
                report.Groups.Select(g => new[] { g.Namespace, g.Name, g.Admitted ? "yes" : "no", g.Reason ?? "" }));
            w.WriteLine();
        }
        Table(w, ["NAMESPACE", "POD", "NODE", "REASON"],
            report.Pods.Select(p => new[] { p.Namespace, p.Name, p.Node ?? "<none>", p.Reason ?? "" }));
        var placed = report.Pods.Count(p => p.Node is not null);
        w.WriteLine();
        w.WriteLine($"{placed}/{report.Pods.Count} pending pods placed; {report.Groups.Count(g => g.Admitted)}/{report.Groups.Count} pod groups admitted.");
    }

    internal static void Table(TextWriter w, string[] header, IEnumerable<string[]> rows)
    {
        var all = new List<string[]> { header };
        all.AddRange(rows);
        var widths = header.Select((_, c) => all.Max(r => r[c].Length)).ToArray();
        foreach (var r in all)
            w.WriteLine(string.Join("   ", r.Select((cell, c) => c == r.Length - 1 ? cell : cell.PadRight(widths[c]))).TrimEnd());
    }
}

using System.Globalization;
using System.Text;
using Quorum.Api.V1Alpha1;

namespace Quorum.Cli;

/// <summary>
/// <c>quorum capacity [--topology T] [--level L]</c>: free and total GPUs, cpu and memory per domain
/// of one level, the gang shapes each can still take, and a heat map of free GPUs.
/// </summary>
public static class CapacityCommand
{
    public const string Usage = "usage: quorum capacity [--topology NAME] [--level LEVEL] " + ApiConnection.Flags;

    /// <summary>Heat map cells per line, so thousands of domains stay readable.</summary>
    private const int CellsPerLine = 64;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        using var api = new ApiConnection();
        var request = new CapacityRequest();
        for (var i = 0; i < args.Length; i++)
        {
            if (api.TryParse(args, ref i)) continue;
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"flag {args[i]} needs a value");
            switch (args[i])
            {
                case "--topology": request.Topology = Value(); break;
                case "--level": request.Level = Value(); break;
                default: throw new ArgumentException($"unknown flag {args[i]}");
            }
        }
        var client = new Scheduler.SchedulerClient(api.Channel());
        var (answer, code) = await api.CallAsync((h, ct) => client.CapacityAsync(request, h, cancellationToken: ct), stderr, cancellationToken).ConfigureAwait(false);
        if (answer is null) return code;
        if (api.Output == "json") await stdout.WriteLineAsync(ApiConnection.Json.Format(answer)).ConfigureAwait(false);
        else Write(answer, stdout);
        return 0;
    }

    private static void Write(CapacityResponse a, TextWriter w)
    {
        w.WriteLine($"topology {a.Topology}, level {a.Level}");
        w.WriteLine();
        var sizes = a.Cluster.Shapes.Select(s => s.GpusPerPod).OrderDescending().ToList();
        string Shapes(DomainCapacity d) => string.Join('/', sizes.Select(g => d.Shapes.FirstOrDefault(s => s.GpusPerPod == g)?.Pods ?? 0));
        string[] Row(string name, DomainCapacity d) =>
        [
            name,
            d.Nodes.ToString(CultureInfo.InvariantCulture),
            $"{d.GpuFree}/{d.GpuTotal}",
            $"{ApiOutput.Amount("cpu", d.CpuFreeMillis)}/{ApiOutput.Amount("cpu", d.CpuTotalMillis)}",
            $"{ApiOutput.Amount("memory", d.MemoryFreeBytes)}/{ApiOutput.Amount("memory", d.MemoryTotalBytes)}",
            d.MaxNodeGpuFree.ToString(CultureInfo.InvariantCulture),
            Shapes(d),
        ];
        WhatIfCommand.Table(w, ["DOMAIN", "NODES", "GPU FREE/TOTAL", "CPU FREE/TOTAL", "MEMORY FREE/TOTAL", "MAX GPU/NODE",
            $"PODS OF {string.Join('/', sizes)} GPU"], a.Domains.Select(d => Row(d.Domain, d)).Append(Row("(cluster)", a.Cluster)));
        w.WriteLine();
        w.Write(HeatMap(a));
    }

    /// <summary>
    /// One cell per domain, grouped by the domain it sits in (one line each, wrapped), shaded by the
    /// share of its GPUs that is free.
    /// </summary>
    internal static string HeatMap(CapacityResponse a)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"free GPUs per {a.Level} domain: █ >75%  ▓ >50%  ▒ >25%  ░ >0%  · none free  (blank: no GPUs)\n");
        var byParent = a.Domains.GroupBy(d => d.Domain.LastIndexOf('/') is var at and > 0 ? d.Domain[..at] : "");
        var width = byParent.Select(g => g.Key.Length).DefaultIfEmpty(0).Max();
        foreach (var parent in byParent)
        {
            var cells = parent.Select(Glyph).ToList();
            for (var i = 0; i < cells.Count; i += CellsPerLine)
            {
                var label = i == 0 ? parent.Key : "";
                sb.Append(label.PadRight(width)).Append("  ").Append(string.Concat(cells.Skip(i).Take(CellsPerLine))).Append('\n');
            }
        }
        return sb.ToString();
    }

    private static char Glyph(DomainCapacity d)
    {
        if (d.GpuTotal <= 0) return ' ';
        var share = (double)d.GpuFree / d.GpuTotal;
        return share switch
        {
            <= 0 => '·',
            <= 0.25 => '░',
            <= 0.5 => '▒',
            <= 0.75 => '▓',
            _ => '█',
        };
    }
}

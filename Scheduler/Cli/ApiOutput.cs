using System.Globalization;
using Google.Protobuf.Collections;
using Quorum.Api.V1Alpha1;
using Quorum.Core.Model;

namespace Quorum.Cli;

/// <summary>Text rendering shared by the verbs that ask a running scheduler.</summary>
internal static class ApiOutput
{
    /// <summary>An amount in the unit people read it in: cores, GiB, devices.</summary>
    public static string Amount(string resource, long value) => resource switch
    {
        ResourceNames.Cpu => (value / 1000.0).ToString("0.###", CultureInfo.InvariantCulture),
        ResourceNames.Memory => $"{(value / (double)(1L << 30)).ToString("0.#", CultureInfo.InvariantCulture)}Gi",
        _ => value.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>The per-level reasons with their figures, one row each.</summary>
    public static void Levels(TextWriter w, RepeatedField<LevelReason> levels)
    {
        if (levels.Count == 0) return;
        WhatIfCommand.Table(w, ["SUB-GROUP", "LEVEL", "NEEDS", "BEST FIT", "BEST DOMAIN", "NEEDED / FREE THERE"], levels.Select(l => new[]
        {
            l.SubGroup.Length == 0 ? "<group>" : l.SubGroup,
            l.Level,
            l.Unit is "sub-groups" or "pods" ? $"{l.Needed} {l.Unit}" : $"{l.Needed} × {l.Unit}",
            l.BestFit.ToString(CultureInfo.InvariantCulture),
            l.BestDomain,
            string.Join(", ", l.Resources.Select(r => $"{r.Resource} {Amount(r.Resource, r.Needed)} / {Amount(r.Resource, r.BestAvailable)}")),
        }));
    }

    public static void Pods(TextWriter w, IEnumerable<PodState> pods) =>
        WhatIfCommand.Table(w, ["POD", "NODE", "REASON"], pods.Select(p => new[] { p.Name, p.Node.Length == 0 ? "<none>" : p.Node, p.Reason }));
}

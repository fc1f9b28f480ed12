using System.Text;
using Quorum.Core.Framework;
using Quorum.Core.Model;

namespace Quorum.Core.Gangs;

/// <summary>
/// Renders decisions for people: the text of events, conditions, explain and whatif, made from the
/// structured decision and never read back by any control path.
/// </summary>
public static class DecisionText
{
    public const string ExtraNotPlaced = "extra above the group's minimum: no room left where the group runs";

    public static string Render(GangDecision d)
    {
        if (d.Code == StatusCode.WaitingForPods)
            return "waiting for pods: " + string.Join("; ", d.Missing.Select(m => $"{Name(m.SubGroup)} has {m.Have} of {m.Need} pods it needs"));
        if (d.PinConflict is { } pin)
            return $"{Name(pin.SubGroup)}: bound pods already span {pin.Domains} domains of {pin.Level}";
        var sb = new StringBuilder();
        if (d.NodesOnly && d.Nodes is not null) sb.Append(d.Nodes.ToMessage());
        else
        {
            sb.AppendJoin("; ", d.Failures.Select(Render).Distinct());
            if (d.Nodes is not null) sb.Append(": ").Append(d.Nodes.ToMessage());
        }
        if (d.HeldFor is { } r)
            sb.Append($"; nodes in {r.Level} {r.DomainPath} are held for starving gang {r.Group} (priority {r.Priority})");
        return sb.ToString();
    }

    public static string Render(LevelFailure f)
    {
        var name = Name(f.SubGroup);
        var cluster = f.Level == "cluster";
        var where = cluster ? "in the cluster" : $"inside one {f.Level}";
        var bestWhere = cluster ? "the cluster" : $"the best {ShortLevel(f.Level)}";
        var text = f.Kind switch
        {
            LevelFailureKind.OutsideParentDomain => $"{name} cannot be placed: its bound pods lie outside the domain chosen for its parent",
            LevelFailureKind.SubGroups => $"{name} needs {f.Needed} of {f.Of} sub-groups {where}; {bestWhere} fits fewer",
            _ => $"{name} needs {f.Needed} pods × {f.Unit} {where}; {bestWhere} fits {Math.Min(f.BestFit, f.Needed - 1)}",
        };
        return f.UnlabelledNodes > 0 ? $"{text} ({f.UnlabelledNodes} node(s) lack label {f.UnlabelledLevel})" : text;
    }

    /// <summary>How a level is named: "group", or "sub-group prefill/prefill-0".</summary>
    public static string Name(string path) => path.Length == 0 ? "group" : $"sub-group {path}";

    /// <summary>"8 nvidia.com/gpu", or the cpu of a pod without GPUs.</summary>
    public static string Shape(Pod? pod)
    {
        if (pod is null) return "?";
        var r = pod.Requests;
        return r.Gpu > 0 ? $"{r.Gpu} {ResourceNames.NvidiaGpu}" : $"{r.MilliCpu}m cpu";
    }

    private static string ShortLevel(string label)
    {
        var slash = label.LastIndexOf('/');
        var s = slash >= 0 ? label[(slash + 1)..] : label;
        return s.StartsWith("gpu.", StringComparison.Ordinal) ? s[4..] : s;
    }
}

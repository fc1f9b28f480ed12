using System.Collections.Immutable;
using Quorum.Core.Framework;
using Quorum.Core.Model;
using Quorum.Core.Topology;

namespace Quorum.Core.Gangs;

/// <summary>A group that cannot be tried as written (Invalid) or not yet (SchedulingGated), and a message naming fields.</summary>
public sealed record GroupRefusal(ObjectKey Group, StatusCode Code, string Message, ImmutableArray<ObjectKey> Pods)
{
    /// <summary>The reason shown for the group: Invalid, or SchedulingGated.</summary>
    public string Reason => Code == StatusCode.Invalid ? "Invalid" : StatusCodes.ConditionReason(Code);
}

/// <summary>What the queue holds this cycle: groups ready to try, and what was refused before trying.</summary>
public sealed record AssembledGangs(
    ImmutableArray<GangRequest> Ready,
    ImmutableArray<GroupRefusal> Refused,
    ImmutableArray<PodFailure> RefusedPods,
    ImmutableHashSet<ObjectKey> PodGroupKeys);

/// <summary>
/// Gathers pods into gangs: pods labelled with a PodGroup join it (bound members count toward its
/// minima), pods without one are groups of one. Invalid groups and pods that name a missing group
/// or sub-group are refused with a reason, and the rest goes on.
/// </summary>
public static class GangAssembler
{
    public static AssembledGangs Assemble(IEnumerable<PodGroupSpec> groups, IEnumerable<Pod> pods, string schedulerName,
        Func<string, TopologySpec?> findTopology, string? defaultTopology)
    {
        var specs = new Dictionary<ObjectKey, PodGroupSpec>();
        foreach (var g in groups) specs[g.Key] = g;

        var members = new Dictionary<ObjectKey, List<Pod>>();
        var ready = new List<GangRequest>();
        var refused = new List<GroupRefusal>();
        var refusedPods = new List<PodFailure>();
        foreach (var pod in pods.OrderBy(p => p.Key, ObjectKey.Ordinal))
        {
            if (pod.Terminated) continue;
            if (pod.Group is null)
            {
                if (pod.IsBound || pod.SchedulerName != schedulerName) continue;
                if (pod.SchedulingGated) continue;
                var single = PodGroupValidator.Validate(PodGroupSpec.ForSinglePod(pod), findTopology, defaultTopology);
                ready.Add(new GangRequest(single.Tree!, [pod]));
                continue;
            }
            var key = new ObjectKey(pod.Key.Namespace, pod.Group.PodGroup);
            if (!specs.ContainsKey(key))
            {
                if (!pod.IsBound && pod.SchedulerName == schedulerName)
                    refusedPods.Add(new PodFailure(pod.Key, $"PodGroup {pod.Group.PodGroup} does not exist in namespace {pod.Key.Namespace}"));
                continue;
            }
            if (!members.TryGetValue(key, out var list)) members[key] = list = [];
            list.Add(pod);
        }

        foreach (var (key, spec) in specs.OrderBy(kv => kv.Key, ObjectKey.Ordinal))
        {
            var list = members.GetValueOrDefault(key) ?? [];
            var pending = list.Where(p => !p.IsBound && p.SchedulerName == schedulerName).ToList();
            var validation = PodGroupValidator.Validate(spec, findTopology, defaultTopology);
            if (!validation.IsValid)
            {
                refused.Add(new GroupRefusal(key, StatusCode.Invalid, string.Join("; ", validation.Errors), [.. pending.Select(p => p.Key)]));
                continue;
            }
            var tree = validation.Tree!;
            var valid = new List<Pod>(list.Count);
            foreach (var pod in list)
            {
                if (PodGroupValidator.CheckMember(tree, pod) is { } problem)
                {
                    if (!pod.IsBound) refusedPods.Add(new PodFailure(pod.Key, problem));
                    continue;
                }
                valid.Add(pod);
            }
            if (!valid.Any(p => !p.IsBound && p.SchedulerName == schedulerName && !p.SchedulingGated))
            {
                if (pending.Count > 0)
                    refused.Add(new GroupRefusal(key, StatusCode.SchedulingGated, "every pending pod has scheduling gates", [.. pending.Select(p => p.Key)]));
                continue;
            }
            ready.Add(new GangRequest(tree, valid));
        }
        return new AssembledGangs([.. ready], [.. refused], [.. refusedPods], [.. specs.Keys]);
    }
}

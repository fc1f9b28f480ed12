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
/// One gang as assembled: ready to try, refused as a whole, and/or with members refused (a pod naming
/// a missing group or sub-group). A single pod is a gang of one (<see cref="IsPodGroup"/> false).
/// </summary>
public sealed record GangEntry(ObjectKey Key, bool IsPodGroup, GangRequest? Ready, GroupRefusal? Refusal, ImmutableArray<PodFailure> RefusedPods)
{
    /// <summary>Nothing to try and nothing to report.</summary>
    public bool IsEmpty => Ready is null && Refusal is null && RefusedPods.IsDefaultOrEmpty;
}

/// <summary>
/// Gathers pods into gangs: pods labelled with a PodGroup join it (bound members count toward its
/// minima), pods without one are groups of one. Invalid groups and pods that name a missing group
/// or sub-group are refused with a reason, and the rest goes on. <see cref="Assemble"/> does it for
/// a whole cluster at once; <see cref="GangIndex"/> keeps the same answer per gang as events arrive.
/// </summary>
public static class GangAssembler
{
    public static AssembledGangs Assemble(IEnumerable<PodGroupSpec> groups, IEnumerable<Pod> pods, string schedulerName,
        Func<string, TopologySpec?> findTopology, string? defaultTopology) =>
        Assemble(groups, pods, new HashSet<string>(StringComparer.Ordinal) { schedulerName }, findTopology, defaultTopology);

    public static AssembledGangs Assemble(IEnumerable<PodGroupSpec> groups, IEnumerable<Pod> pods, IReadOnlySet<string> schedulerNames,
        Func<string, TopologySpec?> findTopology, string? defaultTopology)
    {
        var specs = new SortedDictionary<ObjectKey, PodGroupSpec>(ObjectKey.Ordinal);
        foreach (var g in groups) specs[g.Key] = g;
        var members = new SortedDictionary<ObjectKey, List<Pod>>(ObjectKey.Ordinal);
        var entries = new List<GangEntry>();
        foreach (var pod in pods.OrderBy(p => p.Key, ObjectKey.Ordinal))
        {
            if (pod.Terminated) continue;
            if (pod.Group is null)
            {
                if (Single(pod, schedulerNames, findTopology, defaultTopology) is { IsEmpty: false } single) entries.Add(single);
                continue;
            }
            var key = GroupKeyOf(pod)!.Value;
            if (!members.TryGetValue(key, out var list)) members[key] = list = [];
            list.Add(pod);
        }
        foreach (var (key, list) in members)
            if (!specs.ContainsKey(key) && Group(key, null, list, schedulerNames, null) is { IsEmpty: false } orphans) entries.Add(orphans);
        foreach (var (key, spec) in specs)
        {
            var validation = PodGroupValidator.Validate(spec, findTopology, defaultTopology);
            entries.Add(Group(key, spec, members.GetValueOrDefault(key) ?? [], schedulerNames, validation));
        }
        return Collect(entries, specs.Keys);
    }

    /// <summary>The PodGroup a pod names (in its namespace), or null for a pod that forms a gang of one.</summary>
    public static ObjectKey? GroupKeyOf(Pod pod) => pod.Group is { } g ? new ObjectKey(pod.Key.Namespace, g.PodGroup) : null;

    /// <summary>A pod without a PodGroup: ready when it is this scheduler's, pending and not gated.</summary>
    public static GangEntry Single(Pod pod, IReadOnlySet<string> schedulerNames, Func<string, TopologySpec?> findTopology, string? defaultTopology)
    {
        if (pod.Terminated || pod.IsBound || !schedulerNames.Contains(pod.SchedulerName) || pod.SchedulingGated)
            return new GangEntry(pod.Key, false, null, null, []);
        var single = PodGroupValidator.Validate(PodGroupSpec.ForSinglePod(pod), findTopology, defaultTopology);
        return new GangEntry(pod.Key, false, new GangRequest(single.Tree!, [pod]), null, []);
    }

    /// <summary>
    /// A PodGroup and its members (in pod-key order, none terminated); <paramref name="spec"/> null when
    /// the group does not exist, and then its pending members are refused (the entry keeps the group's key).
    /// </summary>
    public static GangEntry Group(ObjectKey key, PodGroupSpec? spec, IReadOnlyList<Pod> members, IReadOnlySet<string> schedulerNames, GangValidation? validation)
    {
        bool Ours(Pod p) => !p.IsBound && schedulerNames.Contains(p.SchedulerName);
        if (spec is null || validation is null)
        {
            ImmutableArray<PodFailure> missing =
                [.. members.Where(Ours).Select(p => new PodFailure(p.Key, $"PodGroup {key.Name} does not exist in namespace {key.Namespace}"))];
            return new GangEntry(key, true, null, null, missing);
        }
        if (!validation.IsValid)
            return new GangEntry(key, true, null,
                new GroupRefusal(key, StatusCode.Invalid, string.Join("; ", validation.Errors), [.. members.Where(Ours).Select(p => p.Key)]), []);
        var tree = validation.Tree!;
        var valid = new List<Pod>(members.Count);
        List<PodFailure>? refusedPods = null;
        foreach (var pod in members)
        {
            if (PodGroupValidator.CheckMember(tree, pod) is { } problem)
            {
                if (!pod.IsBound) (refusedPods ??= []).Add(new PodFailure(pod.Key, problem));
                continue;
            }
            valid.Add(pod);
        }
        ImmutableArray<PodFailure> refused = refusedPods is null ? [] : [.. refusedPods];
        if (!valid.Any(p => Ours(p) && !p.SchedulingGated))
        {
            var pending = members.Where(Ours).Select(p => p.Key).ToImmutableArray();
            var gated = pending.Length > 0 ? new GroupRefusal(key, StatusCode.SchedulingGated, "every pending pod has scheduling gates", pending) : null;
            return new GangEntry(key, true, null, gated, refused);
        }
        return new GangEntry(key, true, new GangRequest(tree, valid), null, refused);
    }

    /// <summary>Entries in the order <see cref="Assemble"/> returns them, as one answer.</summary>
    public static AssembledGangs Collect(IEnumerable<GangEntry> entries, IEnumerable<ObjectKey> podGroupKeys)
    {
        var ready = ImmutableArray.CreateBuilder<GangRequest>();
        var refused = ImmutableArray.CreateBuilder<GroupRefusal>();
        var refusedPods = ImmutableArray.CreateBuilder<PodFailure>();
        foreach (var e in entries)
        {
            if (e.Ready is { } r) ready.Add(r);
            if (e.Refusal is { } g) refused.Add(g);
            if (!e.RefusedPods.IsDefaultOrEmpty) refusedPods.AddRange(e.RefusedPods);
        }
        return new AssembledGangs(ready.ToImmutable(), refused.ToImmutable(), refusedPods.ToImmutable(), [.. podGroupKeys]);
    }
}

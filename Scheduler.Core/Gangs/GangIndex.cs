using Quorum.Core.Model;
using Quorum.Core.Topology;

namespace Quorum.Core.Gangs;

/// <summary>
/// The gangs of a cluster kept current as pods, PodGroups and Topologies change: each change marks
/// only the gangs it touches, and those are assembled again (with <see cref="GangAssembler"/>'s rules,
/// so the answer equals a full assembly) when the index is next read. A watch event costs the size of
/// its gang, not of the cluster.
/// </summary>
/// <remarks>Not thread-safe: the host applies events and runs cycles on one loop.</remarks>
public sealed class GangIndex(IReadOnlySet<string> schedulerNames, Func<string, TopologySpec?> findTopology, string? defaultTopology)
{
    /// <summary>A gang's identity: a PodGroup, or a pod without one (a gang of one; a pod and a PodGroup may share a name).</summary>
    public readonly record struct GangId(ObjectKey Key, bool IsPodGroup);

    private readonly Dictionary<ObjectKey, Pod> _pods = [];
    private readonly Dictionary<ObjectKey, PodGroupSpec> _specs = [];
    private readonly Dictionary<ObjectKey, GangValidation> _validations = [];
    private readonly Dictionary<ObjectKey, SortedDictionary<ObjectKey, Pod>> _members = [];
    private readonly Dictionary<GangId, GangEntry> _entries = [];
    private readonly HashSet<GangId> _dirty = [];
    private readonly HashSet<GangId> _changed = [];
    private AssembledGangs? _assembled;

    public IReadOnlySet<string> SchedulerNames => schedulerNames;

    public string? DefaultTopology => defaultTopology;

    /// <summary>Pods of this scheduler neither bound nor assumed (kube-scheduler's pending pods), without a scan.</summary>
    public int PendingPods { get; private set; }

    /// <summary>PodGroups known, valid or not.</summary>
    public int PodGroups => _specs.Count;

    /// <summary>A pod as the scheduler must count it (bound, assumed on a node, or pending); a terminated pod leaves.</summary>
    public void SetPod(Pod pod)
    {
        if (pod.Terminated)
        {
            RemovePod(pod.Key);
            return;
        }
        var old = _pods.GetValueOrDefault(pod.Key);
        if (old is not null) Detach(old);
        _pods[pod.Key] = pod;
        if (IsPending(pod)) PendingPods++;
        if (GangAssembler.GroupKeyOf(pod) is { } group)
        {
            if (!_members.TryGetValue(group, out var members)) _members[group] = members = new SortedDictionary<ObjectKey, Pod>(ObjectKey.Ordinal);
            members[pod.Key] = pod;
        }
        Mark(IdOf(pod));
    }

    public void RemovePod(ObjectKey key)
    {
        if (!_pods.Remove(key, out var old)) return;
        Detach(old);
    }

    private void Detach(Pod old)
    {
        if (IsPending(old)) PendingPods--;
        if (GangAssembler.GroupKeyOf(old) is { } group && _members.TryGetValue(group, out var members))
        {
            members.Remove(old.Key);
            if (members.Count == 0) _members.Remove(group);
        }
        Mark(IdOf(old));
    }

    public void SetGroup(PodGroupSpec spec)
    {
        _specs[spec.Key] = spec;
        _validations.Remove(spec.Key);
        Mark(new GangId(spec.Key, true));
    }

    public void RemoveGroup(ObjectKey key)
    {
        if (!_specs.Remove(key)) return;
        _validations.Remove(key);
        Mark(new GangId(key, true));
    }

    /// <summary>A Topology was added, changed or removed: the groups that use it are validated again.</summary>
    public void TopologyChanged(string name)
    {
        foreach (var (key, spec) in _specs)
        {
            if (PodGroupValidator.TopologyOf(spec, defaultTopology) != name) continue;
            _validations.Remove(key);
            Mark(new GangId(key, true));
        }
    }

    /// <summary>The gangs touched since the last call: members, spec or topology changed, or gone.</summary>
    public IReadOnlyCollection<GangId> TakeChanged()
    {
        Flush();
        if (_changed.Count == 0) return [];
        GangId[] changed = [.. _changed];
        _changed.Clear();
        return changed;
    }

    /// <summary>The gang's current entry; null when it has nothing to try or report (bound, gone, another scheduler's).</summary>
    public GangEntry? Find(GangId id)
    {
        Flush();
        return _entries.GetValueOrDefault(id);
    }

    /// <summary>A PodGroup's members as the scheduler counts them, in pod-key order (bound, assumed and pending; none terminated).</summary>
    public IReadOnlyCollection<Pod> MembersOf(ObjectKey group) =>
        _members.TryGetValue(group, out var m) ? m.Values : [];

    /// <summary>A PodGroup's validated tree; null when the group does not exist or is invalid.</summary>
    public GangTree? TreeOf(ObjectKey group) => _specs.TryGetValue(group, out var spec) ? Validation(group, spec).Tree : null;

    private GangValidation Validation(ObjectKey key, PodGroupSpec spec)
    {
        if (!_validations.TryGetValue(key, out var validation))
            _validations[key] = validation = PodGroupValidator.Validate(spec, findTopology, defaultTopology);
        return validation;
    }

    /// <summary>The whole answer, as <see cref="GangAssembler.Assemble"/> would give it; built again only after a change.</summary>
    public AssembledGangs Assembled()
    {
        Flush();
        if (_assembled is not null) return _assembled;
        var ordered = _entries.Values.OrderBy(e => e.IsPodGroup).ThenBy(e => e.Key, ObjectKey.Ordinal);
        return _assembled = GangAssembler.Collect(ordered, _specs.Keys.Order(ObjectKey.Ordinal));
    }

    private bool IsPending(Pod pod) => !pod.IsBound && schedulerNames.Contains(pod.SchedulerName);

    private static GangId IdOf(Pod pod) => GangAssembler.GroupKeyOf(pod) is { } group ? new GangId(group, true) : new GangId(pod.Key, false);

    private void Mark(GangId id)
    {
        _dirty.Add(id);
        _assembled = null;
    }

    private void Flush()
    {
        if (_dirty.Count == 0) return;
        foreach (var id in _dirty)
        {
            // Changed even when there is nothing to try before or after: a bound group's status
            // follows its members (Scheduled, then Running).
            _changed.Add(id);
            var entry = Build(id);
            if (entry is null || entry.IsEmpty) _entries.Remove(id);
            else _entries[id] = entry;
        }
        _dirty.Clear();
    }

    private GangEntry? Build(GangId id)
    {
        if (!id.IsPodGroup)
            return _pods.TryGetValue(id.Key, out var pod) && pod.Group is null
                ? GangAssembler.Single(pod, schedulerNames, findTopology, defaultTopology)
                : null;
        IReadOnlyList<Pod> members = _members.TryGetValue(id.Key, out var m) ? [.. m.Values] : [];
        if (!_specs.TryGetValue(id.Key, out var spec)) return GangAssembler.Group(id.Key, null, members, schedulerNames, null);
        return GangAssembler.Group(id.Key, spec, members, schedulerNames, Validation(id.Key, spec));
    }
}

using System.Collections.Immutable;
using Quorum.Core.Model;
using Quorum.Core.Topology;

namespace Quorum.Core.Gangs;

/// <summary>The outcome of validating a PodGroup: a tree, or errors that each name the field and value.</summary>
public sealed record GangValidation(GangTree? Tree, ImmutableArray<string> Errors)
{
    public bool IsValid => Tree is not null;
}

/// <summary>
/// Turns a <see cref="PodGroupSpec"/> into a <see cref="GangTree"/>, refusing what cannot be scheduled
/// as written: cycles, unknown parents, duplicate names, a level with both minMember and
/// minSubGroup, minima above what exists, unknown topologies or levels, and a child constraint
/// looser than its parent's.
/// </summary>
public static class PodGroupValidator
{
    /// <param name="spec">The group.</param>
    /// <param name="findTopology">Looks up a Topology by name; null when it does not exist.</param>
    /// <param name="defaultTopology">Topology used when the group names none but sets levels.</param>
    /// <summary>The Topology a group's validity depends on: the one it names, or the default when it sets levels without one.</summary>
    public static string? TopologyOf(PodGroupSpec spec, string? defaultTopology)
    {
        var subs = spec.SubGroups.IsDefault ? [] : spec.SubGroups;
        return spec.TopologyConstraint?.Topology
            ?? subs.Select(s => s.TopologyConstraint?.Topology).FirstOrDefault(t => t is not null)
            ?? (UsesLevels(spec) ? defaultTopology : null);
    }

    private static bool UsesLevels(PodGroupSpec spec) =>
        spec.TopologyConstraint is { RequiredTopologyLevel: not null } or { PreferredTopologyLevel: not null }
        || (!spec.SubGroups.IsDefault && spec.SubGroups.Any(s => s.TopologyConstraint is { RequiredTopologyLevel: not null } or { PreferredTopologyLevel: not null }));

    public static GangValidation Validate(PodGroupSpec spec, Func<string, TopologySpec?> findTopology, string? defaultTopology = null)
    {
        var errors = new List<string>();
        var subs = spec.SubGroups.IsDefault ? [] : spec.SubGroups;

        // Topology: one per group; sub-groups inherit it and may only repeat it.
        var topologyName = spec.TopologyConstraint?.Topology;
        for (var i = 0; i < subs.Length; i++)
        {
            var t = subs[i].TopologyConstraint?.Topology;
            if (t is null) continue;
            if (topologyName is null) topologyName = t;
            else if (t != topologyName)
                errors.Add($"spec.subGroups[{i}].topologyConstraint.topology: \"{t}\" differs from the group's topology \"{topologyName}\"; a group uses one topology");
        }
        var usesLevels = UsesLevels(spec);
        topologyName ??= usesLevels ? defaultTopology : null;
        TopologySpec? topology = null;
        if (topologyName is not null)
        {
            topology = findTopology(topologyName);
            if (topology is null) errors.Add($"spec.topologyConstraint.topology: Topology \"{topologyName}\" does not exist");
        }
        else if (usesLevels)
        {
            errors.Add("spec.topologyConstraint.topology: topology levels are set but no topology is named and no default is configured");
        }

        // Root.
        if (spec.MinMember is not null && spec.MinSubGroup is not null)
            errors.Add("spec: set minMember (pods) or minSubGroup (sub-groups), never both");
        if (subs.Length > 0 && spec.MinMember is not null)
            errors.Add($"spec.minMember: {spec.MinMember} is set on a group with sub-groups; use minSubGroup");
        if (subs.Length == 0 && spec.MinSubGroup is not null)
            errors.Add($"spec.minSubGroup: {spec.MinSubGroup} is set on a group without sub-groups; use minMember");
        if (spec.MinMember is < 1) errors.Add($"spec.minMember: {spec.MinMember} must be at least 1");
        if (spec.ScheduleTimeoutSeconds is < 1) errors.Add($"spec.scheduleTimeoutSeconds: {spec.ScheduleTimeoutSeconds} must be at least 1");
        var (rootReq, rootPref) = Depths(spec.TopologyConstraint, topology, "spec.topologyConstraint", errors);

        // Sub-groups: names, parents, cycles.
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < subs.Length; i++)
        {
            var s = subs[i];
            if (string.IsNullOrWhiteSpace(s.Name)) { errors.Add($"spec.subGroups[{i}].name: must not be empty"); continue; }
            if (!index.TryAdd(s.Name, i)) errors.Add($"spec.subGroups[{i}].name: duplicate sub-group \"{s.Name}\"");
        }
        for (var i = 0; i < subs.Length; i++)
        {
            var p = subs[i].Parent;
            if (p is null) continue;
            if (p == subs[i].Name) errors.Add($"spec.subGroups[{i}].parent: \"{p}\" is the sub-group itself");
            else if (!index.ContainsKey(p)) errors.Add($"spec.subGroups[{i}].parent: unknown sub-group \"{p}\"");
        }
        for (var i = 0; i < subs.Length; i++)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal) { subs[i].Name };
            for (var p = subs[i].Parent; p is not null && index.TryGetValue(p, out var pi); p = subs[pi].Parent)
            {
                if (!seen.Add(p))
                {
                    errors.Add($"spec.subGroups[{i}].parent: sub-group \"{subs[i].Name}\" is in a parent cycle through \"{p}\"");
                    break;
                }
            }
        }
        if (errors.Count > 0) return new GangValidation(null, [.. errors]);

        var childCount = subs.GroupBy(s => s.Parent ?? "").ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var topLevel = childCount.GetValueOrDefault("");
        if (spec.MinSubGroup is { } rootMin && (rootMin < 1 || rootMin > topLevel))
            errors.Add($"spec.minSubGroup: {rootMin} must be between 1 and the {topLevel} top-level sub-groups");

        var root = new GangNode("", "", subs.Length == 0 ? spec.MinMember ?? 1 : 0,
            subs.Length == 0 ? 0 : spec.MinSubGroup ?? topLevel, rootReq, rootPref);
        var nodes = new Dictionary<string, GangNode>(StringComparer.Ordinal);
        var order = new List<GangNode> { root };

        GangNode Build(int i)
        {
            var s = subs[i];
            if (nodes.TryGetValue(s.Name, out var done)) return done;
            var parent = s.Parent is null ? root : Build(index[s.Parent]);
            var field = $"spec.subGroups[{i}]";
            var children = childCount.GetValueOrDefault(s.Name);
            if (s.MinMember is not null && s.MinSubGroup is not null)
                errors.Add($"{field}: set minMember (pods) or minSubGroup (sub-groups), never both");
            else if (children > 0 && s.MinMember is not null)
                errors.Add($"{field}.minMember: {s.MinMember} is set on \"{s.Name}\", which has sub-groups; use minSubGroup");
            else if (children == 0 && s.MinSubGroup is not null)
                errors.Add($"{field}.minSubGroup: {s.MinSubGroup} is set on \"{s.Name}\", which has no sub-groups; use minMember");
            if (s.MinMember is < 0) errors.Add($"{field}.minMember: {s.MinMember} must not be negative");
            if (children > 0 && s.MinSubGroup is { } m && (m < 1 || m > children))
                errors.Add($"{field}.minSubGroup: {m} must be between 1 and the {children} sub-groups of \"{s.Name}\"");
            var (req, pref) = Depths(s.TopologyConstraint, topology, $"{field}.topologyConstraint", errors);
            if (req > 0 && req < parent.RequiredDepth)
                errors.Add($"{field}.topologyConstraint.requiredTopologyLevel: \"{s.TopologyConstraint!.RequiredTopologyLevel}\" is looser than its parent's \"{topology!.Levels[parent.RequiredDepth - 1]}\"");
            var effectiveReq = Math.Max(req, parent.RequiredDepth);
            var path = parent.Path.Length == 0 ? s.Name : $"{parent.Path}/{s.Name}";
            var node = new GangNode(s.Name, path, children == 0 ? s.MinMember ?? 1 : 0,
                children == 0 ? 0 : s.MinSubGroup ?? children, effectiveReq, pref > effectiveReq ? pref : 0)
            { Parent = parent };
            nodes[s.Name] = node;
            order.Add(node);
            return node;
        }

        for (var i = 0; i < subs.Length; i++) Build(i);
        if (errors.Count > 0) return new GangValidation(null, [.. errors]);

        // Children in declaration order: messages and placement follow what the user wrote.
        var byParent = order.Skip(1).GroupBy(n => n.Parent!).ToDictionary(g => g.Key, g => g.ToImmutableArray());
        var ordered = new List<GangNode>();
        void Visit(GangNode n)
        {
            n.Index = ordered.Count;
            ordered.Add(n);
            n.Children = byParent.TryGetValue(n, out var c) ? c : [];
            foreach (var child in n.Children) Visit(child);
        }
        Visit(root);
        return new GangValidation(new GangTree(spec, root, [.. ordered], topology?.Name), []);
    }

    private static (int Required, int Preferred) Depths(TopologyConstraint? c, TopologySpec? topology, string field, List<string> errors)
    {
        if (c is null || topology is null) return (0, 0);
        int Resolve(string? level, string name)
        {
            if (level is null) return 0;
            var i = topology.IndexOf(level);
            if (i < 0)
            {
                errors.Add($"{field}.{name}: \"{level}\" is not a level of Topology \"{topology.Name}\" ({string.Join(", ", topology.Levels)})");
                return 0;
            }
            return i + 1;
        }
        var req = Resolve(c.RequiredTopologyLevel, "requiredTopologyLevel");
        var pref = Resolve(c.PreferredTopologyLevel, "preferredTopologyLevel");
        if (req > 0 && pref > 0 && pref < req)
            errors.Add($"{field}.preferredTopologyLevel: \"{c.PreferredTopologyLevel}\" is looser than requiredTopologyLevel \"{c.RequiredTopologyLevel}\"");
        return (req, pref);
    }

    /// <summary>Why a pod cannot be a member of this group as labelled, or null when it can.</summary>
    public static string? CheckMember(GangTree tree, Pod pod)
    {
        var sub = pod.Group?.SubGroup;
        if (tree.Root.IsLeaf)
            return string.IsNullOrEmpty(sub) ? null
                : $"pod {pod.Key}: label scheduling.quorum.dev/sub-group=\"{sub}\" but PodGroup {tree.Spec.Key.Name} has no sub-groups";
        if (string.IsNullOrEmpty(sub))
            return $"pod {pod.Key}: PodGroup {tree.Spec.Key.Name} has sub-groups; label scheduling.quorum.dev/sub-group must name a leaf ({string.Join(", ", tree.Leaves.Keys.Order(StringComparer.Ordinal))})";
        if (tree.LeafFor(sub) is not null) return null;
        return tree.Nodes.Any(n => n.Name == sub)
            ? $"pod {pod.Key}: label scheduling.quorum.dev/sub-group=\"{sub}\" names a middle sub-group; pods belong to leaves ({string.Join(", ", tree.Leaves.Keys.Order(StringComparer.Ordinal))})"
            : $"pod {pod.Key}: label scheduling.quorum.dev/sub-group=\"{sub}\" names no sub-group of PodGroup {tree.Spec.Key.Name}";
    }
}

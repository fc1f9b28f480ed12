using Quorum.Core.Gangs;
using Quorum.Core.Model;
using Quorum.Core.Topology;

namespace Quorum.Tests.Gangs;

public class PodGroupValidatorTests
{
    private static readonly TopologySpec Fabric = new("gpu-fabric", [TopologySpec.BlockLabel, TopologySpec.NvLinkCliqueLabel, TopologySpec.HostnameLabel]);

    private static GangValidation Validate(PodGroupSpec spec) => PodGroupValidator.Validate(spec, n => n == Fabric.Name ? Fabric : null);

    private static PodGroupSpec Group(params SubGroupSpec[] subs) => new(new ObjectKey("serving", "llama")) { SubGroups = [.. subs] };

    [Test]
    public void The_issue_example_is_valid_and_builds_the_tree()
    {
        var v = Validate(Group(
            new SubGroupSpec("router", MinMember: 1),
            new SubGroupSpec("prefill", MinSubGroup: 2),
            new SubGroupSpec("prefill-0", "prefill", MinMember: 2, TopologyConstraint: new(RequiredTopologyLevel: TopologySpec.NvLinkCliqueLabel)),
            new SubGroupSpec("prefill-1", "prefill", MinMember: 2, TopologyConstraint: new(RequiredTopologyLevel: TopologySpec.NvLinkCliqueLabel)),
            new SubGroupSpec("decode", MinMember: 4)) with
        {
            MinSubGroup = 3,
            TopologyConstraint = new("gpu-fabric", TopologySpec.BlockLabel, TopologySpec.NvLinkCliqueLabel),
        });
        Assert.That(v.Errors, Is.Empty);
        var tree = v.Tree!;
        Assert.Multiple(() =>
        {
            Assert.That(tree.Root.MinSubGroup, Is.EqualTo(3));
            Assert.That(tree.Root.Children.Select(c => c.Name), Is.EqualTo(new[] { "router", "prefill", "decode" }));
            Assert.That(tree.LeafFor("prefill-1")!.Path, Is.EqualTo("prefill/prefill-1"));
            Assert.That(tree.LeafFor("prefill-1")!.RequiredDepth, Is.EqualTo(2));
            Assert.That(tree.LeafFor("decode")!.RequiredDepth, Is.EqualTo(1), "sub-groups inherit the group's required level");
            Assert.That(tree.LeafFor("prefill"), Is.Null, "a middle group holds no pods");
        });
    }

    [TestCaseSource(nameof(BadGroups))]
    public void Invalid_groups_are_refused_naming_the_field(PodGroupSpec spec, string expected)
    {
        var v = Validate(spec);
        Assert.That(v.IsValid, Is.False);
        Assert.That(string.Join("\n", v.Errors), Does.Contain(expected));
    }

    private static IEnumerable<TestCaseData> BadGroups()
    {
        yield return new TestCaseData(Group(new SubGroupSpec("a", "b"), new SubGroupSpec("b", "a")), "parent cycle").SetName("Cycle");
        yield return new TestCaseData(Group(new SubGroupSpec("a", "nope")), "spec.subGroups[0].parent: unknown sub-group \"nope\"").SetName("UnknownParent");
        yield return new TestCaseData(Group(new SubGroupSpec("a", MinMember: 1, MinSubGroup: 1)), "spec.subGroups[0]: set minMember (pods) or minSubGroup").SetName("BothMinima");
        yield return new TestCaseData(Group(new SubGroupSpec("a"), new SubGroupSpec("a")), "spec.subGroups[1].name: duplicate sub-group \"a\"").SetName("Duplicate");
        yield return new TestCaseData(Group(new SubGroupSpec("p", MinSubGroup: 3), new SubGroupSpec("c", "p")), "spec.subGroups[0].minSubGroup: 3 must be between 1 and the 1 sub-groups").SetName("MinAboveChildren");
        yield return new TestCaseData(Group(new SubGroupSpec("a")) with { MinSubGroup = 2 }, "spec.minSubGroup: 2 must be between 1 and the 1 top-level").SetName("RootMinAboveChildren");
        yield return new TestCaseData(Group(new SubGroupSpec("a")) with { MinMember = 2 }, "spec.minMember: 2 is set on a group with sub-groups").SetName("RootMinMemberWithSubGroups");
        yield return new TestCaseData(Group() with { TopologyConstraint = new("nope", TopologySpec.BlockLabel) }, "Topology \"nope\" does not exist").SetName("UnknownTopology");
        yield return new TestCaseData(Group() with { TopologyConstraint = new("gpu-fabric", "rack") }, "spec.topologyConstraint.requiredTopologyLevel: \"rack\" is not a level").SetName("UnknownLevel");
        yield return new TestCaseData(Group(new SubGroupSpec("a", TopologyConstraint: new(RequiredTopologyLevel: TopologySpec.BlockLabel)))
            with { TopologyConstraint = new("gpu-fabric", TopologySpec.NvLinkCliqueLabel) }, "is looser than its parent's").SetName("ChildLooserThanParent");
        yield return new TestCaseData(Group() with { TopologyConstraint = new("gpu-fabric", TopologySpec.NvLinkCliqueLabel, TopologySpec.BlockLabel) }, "preferredTopologyLevel").SetName("PreferredLooserThanRequired");
        yield return new TestCaseData(Group() with { MinMember = 0 }, "spec.minMember: 0 must be at least 1").SetName("ZeroMinMember");
    }

    [Test]
    public void Pods_on_a_middle_or_missing_sub_group_are_refused()
    {
        var tree = Validate(Group(new SubGroupSpec("prefill", MinSubGroup: 1), new SubGroupSpec("prefill-0", "prefill"))).Tree!;
        Pod Member(string? sub) => new(new ObjectKey("serving", "p"), default) { Group = new GroupMembership("llama", sub) };
        Assert.Multiple(() =>
        {
            Assert.That(PodGroupValidator.CheckMember(tree, Member("prefill-0")), Is.Null);
            Assert.That(PodGroupValidator.CheckMember(tree, Member("prefill")), Does.Contain("names a middle sub-group"));
            Assert.That(PodGroupValidator.CheckMember(tree, Member("decode")), Does.Contain("names no sub-group"));
            Assert.That(PodGroupValidator.CheckMember(tree, Member(null)), Does.Contain("must name a leaf"));
        });
    }
}

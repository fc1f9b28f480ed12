using YamlDotNet.RepresentationModel;

namespace Quorum.Tests.Manifests;

/// <summary>The CRDs' schemas, read from manifests/crds, accept every shipped object and reject broken ones.</summary>
public class CrdSchemaTests
{
    private static readonly string Root = TestPaths.RepoRoot;

    private static YamlMappingNode Schema(string crdFile)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(Path.Combine(Root, "manifests", "crds", crdFile))));
        var crd = (YamlMappingNode)stream.Documents[0].RootNode;
        var version = (YamlMappingNode)((YamlSequenceNode)((YamlMappingNode)crd["spec"])["versions"])[0];
        return (YamlMappingNode)((YamlMappingNode)version["schema"])["openAPIV3Schema"];
    }

    private static IEnumerable<YamlMappingNode> Objects(string yaml, string kind)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        foreach (var doc in stream.Documents)
        {
            if (doc.RootNode is not YamlMappingNode m) continue;
            if (m.Children.TryGetValue(new YamlScalarNode("kind"), out var k) && ((YamlScalarNode)k).Value == kind) yield return m;
            if (m.Children.TryGetValue(new YamlScalarNode("items"), out var items) && items is YamlSequenceNode seq)
                foreach (var item in seq.OfType<YamlMappingNode>())
                    if (item.Children.TryGetValue(new YamlScalarNode("kind"), out var ik) && ((YamlScalarNode)ik).Value == kind) yield return item;
        }
    }

    private static IEnumerable<string> ShippedYaml() =>
        Directory.EnumerateFiles(Path.Combine(Root, "manifests"), "*.yaml", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}crds{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    [Test]
    public void Every_shipped_PodGroup_and_Topology_passes_its_CRD_schema()
    {
        var podGroups = Schema("scheduling.quorum.dev_podgroups.yaml");
        var topologies = Schema("scheduling.quorum.dev_topologies.yaml");
        var seen = 0;
        foreach (var file in ShippedYaml())
        {
            var yaml = File.ReadAllText(file);
            foreach (var pg in Objects(yaml, "PodGroup")) { seen++; Assert.That(OpenApiSchemaValidator.Validate(pg, podGroups), Is.Empty, file); }
            foreach (var t in Objects(yaml, "Topology")) { seen++; Assert.That(OpenApiSchemaValidator.Validate(t, topologies), Is.Empty, file); }
        }
        Assert.That(seen, Is.GreaterThanOrEqualTo(5));
    }

    [TestCase("spec: {minMember: 0}", "spec.minMember: should be greater than or equal to 1")]
    [TestCase("spec: {minMember: two}", "spec.minMember: must be an integer")]
    [TestCase("spec: {subGroups: [{minMember: 1}]}", "spec.subGroups[0].name: Required value")]
    [TestCase("spec: {subGroups: [{name: a}, {name: a}]}", "spec.subGroups[1]: Duplicate value: a")]
    [TestCase("spec: {subGroups: [{name: Prefill_0}]}", "spec.subGroups[0].name: should match")]
    [TestCase("spec: {minMember: 1, gang: true}", "spec.gang: unknown field")]
    [TestCase("spec: {}\nstatus: {phase: Done}", "status.phase: Unsupported value: \"Done\"")]
    [TestCase("metadata: {name: x}", "spec: Required value")]
    public void Broken_PodGroups_are_rejected_naming_the_field(string body, string expected)
    {
        var yaml = $"apiVersion: scheduling.quorum.dev/v1alpha1\nkind: PodGroup\n{body}\n";
        var errors = OpenApiSchemaValidator.Validate(Objects(yaml, "PodGroup").Single(), Schema("scheduling.quorum.dev_podgroups.yaml"));
        Assert.That(string.Join("\n", errors), Does.Contain(expected));
    }

    [TestCase("spec: {levels: []}", "spec.levels: must have at least 1 items")]
    [TestCase("spec: {levels: [{nodeLabel: a}, {nodeLabel: a}]}", "spec.levels[1]: Duplicate value: a")]
    [TestCase("spec: {levels: [{nodeLabel: \"\"}]}", "spec.levels[0].nodeLabel: should be at least 1 chars long")]
    public void Broken_Topologies_are_rejected_naming_the_field(string body, string expected)
    {
        var yaml = $"apiVersion: scheduling.quorum.dev/v1alpha1\nkind: Topology\n{body}\n";
        var errors = OpenApiSchemaValidator.Validate(Objects(yaml, "Topology").Single(), Schema("scheduling.quorum.dev_topologies.yaml"));
        Assert.That(string.Join("\n", errors), Does.Contain(expected));
    }

    [Test]
    public void Seventeen_levels_are_too_many()
    {
        var levels = string.Join(", ", Enumerable.Range(0, 17).Select(i => $"{{nodeLabel: l{i}}}"));
        var yaml = $"apiVersion: scheduling.quorum.dev/v1alpha1\nkind: Topology\nspec: {{levels: [{levels}]}}\n";
        var errors = OpenApiSchemaValidator.Validate(Objects(yaml, "Topology").Single(), Schema("scheduling.quorum.dev_topologies.yaml"));
        Assert.That(errors, Does.Contain("spec.levels: must have at most 16 items"));
    }
}

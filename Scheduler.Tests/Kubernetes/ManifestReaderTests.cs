using Quorum.Kubernetes;
using Quorum.Tests.Manifests;

namespace Quorum.Tests.Kubernetes;

/// <summary>The manifest reader's bounds: what it refuses before it builds any object.</summary>
public class ManifestReaderTests
{
    private static string Pods(int count, string extra = "") =>
        "apiVersion: v1\nkind: List\nitems:\n" + string.Concat(Enumerable.Range(0, count).Select(i => $"- {{apiVersion: v1, kind: Pod, metadata: {{name: p{i}{extra}}}}}\n"));

    [Test]
    public void Objects_are_counted_as_they_are_found_and_reading_stops_at_the_limit()
    {
        // The object after the limit is not even an object: reading never got there.
        var yaml = Pods(3) + "- not-an-object\n";

        var e = Assert.Throws<ManifestLimitException>(() => ManifestReader.Scan(yaml, "in.yaml", new ManifestLimits(2, LimitName: "the test's limit")));

        Assert.That(e!.Message, Is.EqualTo("in.yaml: document 1 items[2]: more than 2 objects, the test's limit"));
        Assert.That(ManifestReader.Scan(Pods(2), "in.yaml", new ManifestLimits(2)), Has.Count.EqualTo(2), "exactly the limit is read");
    }

    [Test]
    public void Scanning_reads_kinds_and_namespaces_without_building_objects()
    {
        var objects = ManifestReader.Scan("""
            apiVersion: v1
            kind: Pod
            metadata: {name: a, namespace: ml}
            spec: {containers: [{name: c, resources: {requests: {cpu: lots}}}]}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: b, namespace: ~}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: d, namespace: ml}
            """, "in.yaml", ManifestLimits.Default);

        Assert.That(objects.Select(o => (o.Where, o.Kind, o.Type?.Name, o.Namespace)), Is.EqualTo(new[]
        {
            ("in.yaml: document 1", "Pod", "V1Pod", "ml"),
            ("in.yaml: document 2", "Pod", "V1Pod", null),
            ("in.yaml: document 3", "Deployment", (string?)null, "ml"),
        }));
        var e = Assert.Throws<InvalidObjectException>(() => ManifestReader.Convert(objects));
        Assert.That(e!.Message, Does.Contain("\"lots\" is not a valid quantity"), "the quantity is checked when objects are built");
    }

    [Test]
    public void Aliases_are_refused_in_files_too_naming_the_line()
    {
        var e = Assert.Throws<InvalidObjectException>(() => ManifestReader.Read("""
            apiVersion: v1
            kind: Pod
            metadata: {name: a, labels: &l {app: x}, annotations: *l}
            """, "pod.yaml"));

        Assert.That(e!.Message, Is.EqualTo("pod.yaml: line 3, column 55: YAML aliases (*l) are not accepted: write the value out"));
    }

    [Test]
    public void Nesting_deeper_than_the_limit_is_refused_before_the_document_is_built()
    {
        var deep = "apiVersion: v1\nkind: Pod\nmetadata: {name: a, annotations: {x: " + new string('[', 100_000) + new string(']', 100_000) + "}}\n";

        var e = Assert.Throws<InvalidObjectException>(() => ManifestReader.Read(deep, "deep.yaml"));

        Assert.That(e!.Message, Does.StartWith("deep.yaml: line 3, column ").And.EndWith(": nested deeper than 100 levels"));
    }

    [Test]
    public void A_List_inside_a_List_is_refused()
    {
        var e = Assert.Throws<InvalidObjectException>(() => ManifestReader.Read("apiVersion: v1\nkind: List\nitems:\n- " + Pods(1).Replace("\n", "\n  ", StringComparison.Ordinal), "l.yaml"));

        Assert.That(e!.Message, Is.EqualTo("l.yaml: document 1 items[0]: a List inside a List is not read (kubectl's List holds objects, not Lists)"));
    }

    [Test]
    public void The_shipped_examples_read_as_before()
    {
        var set = ManifestReader.ReadFiles(Directory.EnumerateFiles(ShippedManifests.Examples, "*.yaml").Order(StringComparer.Ordinal));

        Assert.That(set.Nodes, Is.Not.Empty);
        Assert.That(set.Pods, Is.Not.Empty);
        Assert.That(set.PodGroups, Is.Not.Empty);
    }

    [TestCase("spec: {minMember: 2147483648}", "spec.minMember: 2147483648 is out of range (expected an integer from -2147483648 to 2147483647)")]
    [TestCase("spec: {subGroups: [{name: a}, {name: b, minSubGroup: -9999999999}]}", "spec.subGroups[1].minSubGroup: -9999999999 is out of range")]
    public void A_number_too_large_for_its_field_is_refused_naming_the_field_and_range(string spec, string expected)
    {
        var e = Assert.Throws<InvalidObjectException>(() => ManifestReader.Read(
            "apiVersion: scheduling.quorum.dev/v1alpha1\nkind: PodGroup\nmetadata: {name: g, namespace: ml}\n" + spec, "g.yaml"));

        Assert.That(e!.Message, Does.StartWith("g.yaml: document 1 (PodGroup g): " + expected));
    }

    [Test]
    public void An_out_of_range_pod_priority_names_the_pod_field()
    {
        var e = Assert.Throws<InvalidObjectException>(() => ManifestReader.Read(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {priority: 3000000000, containers: [{name: c}]}", "p.yaml"));

        Assert.That(e!.Message, Is.EqualTo("p.yaml: document 1 (Pod p): spec.priority: 3000000000 is out of range (expected an integer from -2147483648 to 2147483647)"));
    }
}

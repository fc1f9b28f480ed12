using k8s.Models;

namespace Quorum.Tests.Manifests;

/// <summary>Every file under manifests/ holds objects the API server would accept field by field.</summary>
public class ManifestParsingTests
{
    private static IEnumerable<TestCaseData> Files() =>
        ShippedManifests.ObjectFiles().Select(f => new TestCaseData(f).SetArgDisplayNames(Path.GetRelativePath(ShippedManifests.Folder, f)));

    [TestCaseSource(nameof(Files))]
    public void Every_manifest_parses_strictly_into_KubernetesClient_objects(string file)
    {
        var objects = ShippedManifests.Parse(File.ReadAllText(file));
        Assert.That(objects, Is.Not.Empty);
        foreach (var o in objects)
        {
            Assert.That(o.Metadata?.Name, Is.Not.Null.And.Not.Empty, $"{o.Kind} in {file} has a name");
            Assert.That(o.GetType(), Is.Not.EqualTo(typeof(object)));
        }
    }

    [Test]
    public void A_misspelt_field_is_an_error_not_silently_dropped()
    {
        // What the test above relies on: strict parsing, as kubectl's server-side field validation.
        const string yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndta: {quorum.yaml: \"\"}\n";
        Assert.That(() => ShippedManifests.Parse(yaml), Throws.Exception);
        Assert.That(ShippedManifests.Parse(yaml.Replace("dta:", "data:", StringComparison.Ordinal)).Single(), Is.InstanceOf<V1ConfigMap>());
    }

    [Test]
    public void Every_installed_object_has_the_namespace_its_scope_requires()
    {
        // Cluster-scoped kinds; everything else the kustomization installs is namespaced and must say where.
        string[] clusterScoped = ["Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding", "Topology"];
        foreach (var o in ShippedManifests.Installed())
        {
            if (clusterScoped.Contains(o.Kind)) Assert.That(o.Metadata.NamespaceProperty, Is.Null, $"{o.Kind} {o.Metadata.Name}");
            else Assert.That(o.Metadata.NamespaceProperty, Is.EqualTo("quorum-system"), $"{o.Kind} {o.Metadata.Name}");
        }
    }
}

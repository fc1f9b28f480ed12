using System.Diagnostics;

namespace Quorum.Tests.Manifests;

/// <summary><c>kubectl apply -k manifests/</c> installs every shipped object and nothing is left out.</summary>
public class KustomizationTests
{
    private static string Render()
    {
        try
        {
            var psi = new ProcessStartInfo("kubectl", ["kustomize", ShippedManifests.Folder]) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var p = Process.Start(psi)!;
            var output = p.StandardOutput.ReadToEndAsync();
            var err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.That(p.ExitCode, Is.EqualTo(0), err);
            return output.Result;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Assert.Ignore("kubectl is not installed on this machine");
            throw;
        }
    }

    private static string Id(k8s.IKubernetesObject<k8s.Models.V1ObjectMeta> o) => $"{o.Kind} {o.Metadata.NamespaceProperty}/{o.Metadata.Name}";

    [Test]
    public void Kubectl_kustomize_renders_exactly_the_listed_files_objects_and_every_kind_Quorum_needs()
    {
        var rendered = ShippedManifests.Parse(Render());
        Assert.That(rendered.Select(Id), Is.EquivalentTo(ShippedManifests.Installed().Select(Id)), "no transformer renames or drops anything");
        Assert.That(rendered.Select(o => o.Kind).Distinct(), Is.EquivalentTo(new[]
        {
            "Namespace", "CustomResourceDefinition", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding",
            "ConfigMap", "Deployment", "Service", "PodDisruptionBudget", "Topology",
        }));
    }

    [Test]
    public void Every_manifest_outside_examples_is_installed_by_the_kustomization()
    {
        var examples = ShippedManifests.Examples + Path.DirectorySeparatorChar;
        var shipped = ShippedManifests.ObjectFiles().Where(f => !f.StartsWith(examples, StringComparison.Ordinal)).Select(Path.GetFullPath);
        Assert.That(ShippedManifests.KustomizationResources(), Is.EquivalentTo(shipped));
    }
}

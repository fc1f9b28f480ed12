using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Quorum.Tests.Integration;

/// <summary>
/// The suite's cluster when <c>QUORUM_TEST_KUBECONFIG</c> names a kubeconfig: the repository's CRDs
/// are applied (created, or replaced with this checkout's), and the run's namespace gets its default
/// ServiceAccount at once (a cluster without a controller manager never makes one, and pod admission
/// needs it).
/// </summary>
public sealed class RealCluster(string kubeconfig) : TestCluster
{
    private readonly KubernetesClientConfiguration _config = KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig);
    private IKubernetes? _admin;

    public override IKubernetes Admin => _admin ??= new k8s.Kubernetes(_config);

    public override bool IsReal => true;

    public override IKubernetes CreateClient(FaultyTransport transport) => new k8s.Kubernetes(_config, transport);

    /// <summary>A test cannot compact a real API server's watch cache: the transport answers the next resumptions as it would.</summary>
    public override void ExpireWatchHistory(FaultyTransport transport) => transport.ExpireNextResumptions();

    protected override async Task InitializeAsync()
    {
        foreach (var file in Directory.GetFiles(Path.Combine(TestPaths.RepoRoot, "manifests", "crds"), "*.yaml").Order(StringComparer.Ordinal))
            await ApplyCrdAsync(KubernetesYaml.Deserialize<V1CustomResourceDefinition>(await File.ReadAllTextAsync(file).ConfigureAwait(false))).ConfigureAwait(false);
        await base.InitializeAsync().ConfigureAwait(false);
        try
        {
            await Admin.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "default" } }, Namespace).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
        }
    }

    private async Task ApplyCrdAsync(V1CustomResourceDefinition crd)
    {
        try
        {
            await Admin.ApiextensionsV1.CreateCustomResourceDefinitionAsync(crd).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            var existing = await Admin.ApiextensionsV1.ReadCustomResourceDefinitionAsync(crd.Metadata.Name).ConfigureAwait(false);
            crd.Metadata.ResourceVersion = existing.Metadata.ResourceVersion;
            await Admin.ApiextensionsV1.ReplaceCustomResourceDefinitionAsync(crd, crd.Metadata.Name).ConfigureAwait(false);
        }
        await WaitUntilAsync(async () =>
        {
            var current = await Admin.ApiextensionsV1.ReadCustomResourceDefinitionAsync(crd.Metadata.Name).ConfigureAwait(false);
            return current.Status?.Conditions?.Any(c => c.Type == "Established" && c.Status == "True") == true;
        }, $"CRD {crd.Metadata.Name} is established", TimeSpan.FromSeconds(30)).ConfigureAwait(false);
    }
}

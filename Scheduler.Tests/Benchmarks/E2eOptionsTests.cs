using Quorum.Benchmarks.EndToEnd;

namespace Quorum.Tests.Benchmarks;

public class E2eOptionsTests
{
    private static string Kubeconfig()
    {
        var file = Path.GetTempFileName();
        File.WriteAllText(file, "apiVersion: v1\nkind: Config\n");
        return file;
    }

    [TestCase(new[] { "--nodes", "0" }, "--nodes: \"0\" is not an integer from 1 to 100000")]
    [TestCase(new[] { "--pods", "2000", "--gang-size", "3" }, "--pods: 2000 is not a multiple of --gang-size 3")]
    [TestCase(new[] { "--gang-size", "200", "--pods", "2000" }, "--gang-size: 200 one-GPU pods do not fit one NVLink clique")]
    [TestCase(new[] { "--nodes", "10", "--pods", "81" }, "--pods: 81 one-GPU pods do not fit 10 nodes of 8 GPUs")]
    [TestCase(new[] { "--compare-kube-scheduler", "/no/such/kube-scheduler" }, "--compare-kube-scheduler: \"/no/such/kube-scheduler\" does not exist")]
    [TestCase(new[] { "--warp" }, "unknown flag --warp")]
    public void Bad_flags_are_refused_naming_the_flag_and_value(string[] flags, string expected)
    {
        var (options, error) = E2eOptions.Parse(["--kubeconfig", Kubeconfig(), .. flags]);
        Assert.That(options, Is.Null);
        Assert.That(error, Does.StartWith(expected));
    }

    [Test]
    public void A_kubeconfig_is_required()
    {
        var (_, error) = E2eOptions.Parse(["--nodes", "10"]);
        Assert.That(error, Does.StartWith("--kubeconfig is required"));
    }

    [Test]
    public void Defaults_are_the_issue_s_benchmark()
    {
        var (o, error) = E2eOptions.Parse(["--kubeconfig", Kubeconfig(), "--gang-size", "16"]);
        Assert.That(error, Is.Null);
        Assert.That((o!.Nodes, o.Pods, o.GangSize, o.Qps, o.Burst), Is.EqualTo((500, 2000, 16, 5000f, 5000)));
    }
}

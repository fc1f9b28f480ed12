using Quorum.Core.Model;

namespace Quorum.Tests.Model;

public class QuantityTests
{
    [TestCase("500m", "cpu", 500)]
    [TestCase("2", "cpu", 2000)]
    [TestCase("0.1", "cpu", 100)]
    [TestCase("1.5", "cpu", 1500)]
    [TestCase("64Gi", "memory", 64L << 30)]
    [TestCase("1G", "memory", 1_000_000_000)]
    [TestCase("2e3", "memory", 2000)]
    [TestCase("8", "nvidia.com/gpu", 8)]
    [TestCase("1k", "memory", 1000)]
    public void Parses_every_form_the_API_server_accepts(string text, string resource, long expected) =>
        Assert.That(Quantity.ParseResource(resource, text), Is.EqualTo(expected));

    [TestCase("")]
    [TestCase("abc")]
    [TestCase("-1")]
    [TestCase("1Qi")]
    [TestCase("Gi")]
    public void Rejects_malformed_quantities_naming_the_value(string text)
    {
        var e = Assert.Throws<FormatException>(() => Quantity.Parse(text));
        Assert.That(e!.Message, Does.Contain($"\"{text}\""));
    }

    [Test]
    public void Sub_millicore_cpu_rounds_up_like_the_API_server() =>
        Assert.That(Quantity.ParseResource("cpu", "0.0001"), Is.EqualTo(1));
}

namespace Recurring.Daemon.Tests.Daemon;

/// <summary>The metrics test's parser rejects what Prometheus would, so its passing means something.</summary>
public sealed class PrometheusTextTests
{
    private const string Valid = """
        # HELP a_total Things, with a \\ and a \n.
        # TYPE a_total counter
        a_total 3
        # HELP b A gauge.
        # TYPE b gauge
        b{x="1",y="say \"hi\"\n"} NaN
        b{x="2"} +Inf
        b{x="3"} -1.5e-3 1700000000000

        """;

    [Fact]
    public void ReadsFamiliesSamplesLabelsAndSpecialValues()
    {
        var families = PrometheusText.Parse(Valid);

        Assert.Equal("Things, with a \\ and a \n.", families["a_total"].Help);
        Assert.Equal(3, Assert.Single(families["a_total"].Samples).Value);
        var b = families["b"].Samples;
        Assert.Equal("say \"hi\"\n", b[0].Labels["y"]);
        Assert.True(double.IsNaN(b[0].Value));
        Assert.Equal(double.PositiveInfinity, b[1].Value);
        Assert.Equal(-1.5e-3, b[2].Value);
    }

    [Theory]
    [InlineData("# HELP 1a x\n# TYPE 1a gauge\n1a 1\n")]
    [InlineData("# HELP a x\n# TYPE a gauge\na one\n")]
    [InlineData("# HELP a x\na 1\n")]
    [InlineData("# HELP a x\n# TYPE a gauge\na 1\na 2\n")]
    [InlineData("# HELP a x\n# TYPE a gauge\na{x=\"1\"} 1\n# HELP b x\n# TYPE b gauge\nb 1\na{x=\"2\"} 1\n")]
    [InlineData("# HELP a x\n# TYPE a gauge\na{x=\"1} 1\n")]
    [InlineData("# HELP a x\n# TYPE a gauge\na{x=\"\\t\"} 1\n")]
    [InlineData("# HELP a x\n# TYPE a gauge\na{x=\"1\",x=\"2\"} 1\n")]
    [InlineData("# HELP a x\n# TYPE a meter\na 1\n")]
    [InlineData("# HELP a x\n# TYPE a gauge\na 1")]
    [InlineData("# HELP a x\n# TYPE a gauge\na  1\n")]
    public void RejectsWhatTheFormatDoesNotAllow(string text)
    {
        Assert.Throws<FormatException>(() => PrometheusText.Parse(text));
    }
}

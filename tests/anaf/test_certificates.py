"""Certificate serials as the product reads them."""

from anaf.certificates import same_serial


def test_certificate_serials_compare_as_integers():
    assert same_serial("37F1787985D92914", "37f1787985d92914")
    assert same_serial("0037F1787985D92914", "37:f1:78:79:85:d9:29:14")
    assert same_serial("0x37F1787985D92914", 0x37F1787985D92914)
    assert not same_serial("37F1787985D92914", "37F1787985D92915")
    assert not same_serial(None, "00") and not same_serial("zz", "zz")

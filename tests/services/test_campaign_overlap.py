"""campaigns_overlapping: which active campaigns can match a ticket another one matches."""

from datetime import timedelta

import pytest
from django.utils import timezone

from surveys.selectors import campaigns_overlapping
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()


@pytest.mark.parametrize(
    ("mine", "theirs", "overlaps"),
    [
        ({}, {}, True),
        ({"filter_categories": ["Billing"]}, {}, True),  # empty filter = every value
        ({"filter_categories": ["Billing"]}, {"filter_categories": ["billing", "x"]}, True),
        ({"filter_categories": ["billing"]}, {"filter_categories": ["shipping"]}, False),
        ({"filter_priorities": ["high"]}, {"filter_priorities": ["low"]}, False),
        ({"filter_channels": ["chat"], "filter_segments": ["gold"]}, {"filter_segments": ["gold"]}, True),
        ({"filter_segments": ["gold"]}, {"filter_channels": ["chat"], "filter_segments": ["smb"]}, False),
        # Windows are [starts_at, ends_at): one ending as the other starts does not overlap.
        ({"ends_at": NOW}, {"starts_at": NOW}, False),
        ({"ends_at": NOW + timedelta(days=1)}, {"starts_at": NOW}, True),
        (
            {"starts_at": NOW, "ends_at": NOW + timedelta(days=2)},
            {"starts_at": NOW + timedelta(days=1)},
            True,
        ),
        ({"starts_at": NOW + timedelta(days=5)}, {"ends_at": NOW + timedelta(days=4)}, False),
        ({}, {"is_active": False}, False),
    ],
)
def test_overlap_needs_intersecting_windows_and_every_filter(mine, theirs, overlaps):
    campaign, other = CampaignFactory(**mine), CampaignFactory(**theirs)
    assert (other in campaigns_overlapping(campaign)) is overlaps
    if other.is_active:
        assert (campaign in campaigns_overlapping(other)) is overlaps


def test_inactive_campaign_overlaps_nothing():
    CampaignFactory()
    assert campaigns_overlapping(CampaignFactory(is_active=False)) == []


def test_overlapping_campaigns_listed_in_claim_order():
    campaign = CampaignFactory(priority=50)
    late, early = CampaignFactory(priority=90), CampaignFactory(priority=10)
    assert campaigns_overlapping(campaign) == [early, late]

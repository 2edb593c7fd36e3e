"""``/v1/admin``: messages to members (templates per event and language, preview, test
send, settings), campaigns to a segment, and the SMS provider's STOP replies."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from regulars import errors
from regulars.api.deps import EventSender, Owner, PathId, RuntimeDep
from regulars.api.errors_doc import responses
from regulars.api.member_message_schemas import (
    CampaignIn,
    CampaignOut,
    InboundSmsIn,
    InboundSmsOut,
    MessageSettingsOut,
    MessageSettingsPatch,
    PreviewIn,
    PreviewOut,
    TemplateIn,
    TemplateOut,
    TestSendIn,
    TestSendOut,
)
from regulars.services.audit import audit
from regulars.services.messaging import templates, unsubscribe
from regulars.services.promotions import campaigns

router = APIRouter(prefix="/v1/admin", tags=["messages"])
Event = Annotated[str, Path(min_length=1, max_length=20)]
Lang = Annotated[str, Path(min_length=2, max_length=10)]
T = "/message-templates/{event}/{language}"
NF = responses(errors.NotFound)
BAD = responses(errors.InvalidInput, errors.NotFound)


@router.get("/message-templates", response_model=list[TemplateOut])
def list_templates(owner: Owner, rt: RuntimeDep) -> list[templates.Template]:
    """Every message event in every language: the tenant's wording or the built-in one."""
    return templates.list_templates(rt, owner.tenant_id)


@router.get(T, response_model=TemplateOut, responses=NF)
def get_template(event: Event, language: Lang, owner: Owner, rt: RuntimeDep
                 ) -> templates.Template:
    return templates.get(rt, owner.tenant_id, event, language)


@router.put(T, response_model=TemplateOut, responses=BAD)
def save_template(event: Event, language: Lang, body: TemplateIn, owner: Owner,
                  rt: RuntimeDep) -> templates.Template:
    """Keep the tenant's wording; a placeholder the event does not know is refused (422,
    naming it, field ``subject`` or ``body``)."""
    return templates.save(rt, owner.tenant_id, event, language, subject=body.subject,
                          body=body.body, actor=audit.key(owner.key_id))


@router.delete(T, response_model=TemplateOut, responses=NF)
def reset_template(event: Event, language: Lang, owner: Owner, rt: RuntimeDep
                   ) -> templates.Template:
    """Go back to the built-in wording."""
    return templates.reset(rt, owner.tenant_id, event, language, actor=audit.key(owner.key_id))


@router.post(T + "/preview", response_model=PreviewOut, responses=BAD)
def preview_template(event: Event, language: Lang, body: PreviewIn, owner: Owner,
                     rt: RuntimeDep) -> templates.Preview:
    """The message a sample member would get, of the given text or the saved one."""
    return templates.preview(rt, owner.tenant_id, event, language, subject=body.subject,
                             body=body.body)


@router.post(T + "/test", response_model=TestSendOut, responses=BAD)
def test_template(event: Event, language: Lang, body: TestSendIn, owner: Owner,
                  rt: RuntimeDep) -> templates.TestSend:
    """Send the sample member's message to ``recipient`` now, through ``channel``."""
    return templates.test_send(rt, owner.tenant_id, event, language, channel=body.channel,
                               recipient=body.recipient)


@router.get("/message-settings", response_model=MessageSettingsOut)
def get_message_settings(owner: Owner, rt: RuntimeDep) -> templates.MessageSettings:
    return templates.get_settings(rt, owner.tenant_id)


@router.patch("/message-settings", response_model=MessageSettingsOut,
              responses=responses(errors.InvalidInput))
def change_message_settings(body: MessageSettingsPatch, owner: Owner, rt: RuntimeDep
                            ) -> templates.MessageSettings:
    """Change some settings; quiet hours are cleared by sending both ends as null, and
    refused (422) when the change would leave them with one end only."""
    return templates.update_settings(rt, owner.tenant_id, body.model_dump(exclude_unset=True),
                                     actor=audit.key(owner.key_id))


@router.post("/inbound-sms", response_model=InboundSmsOut,
             responses=responses(errors.InvalidInput))
def inbound_sms(body: InboundSmsIn, sender: EventSender, rt: RuntimeDep
                ) -> unsubscribe.InboundResult:
    """A text message a member sent the business, forwarded by the SMS provider with a key
    of the ``events`` scope: STOP (or СТОП, СПРИ...) unsubscribes that number from marketing
    at once."""
    return unsubscribe.inbound_sms(rt, sender.tenant_id, phone=body.phone, text=body.text)


@router.get("/campaigns", response_model=list[CampaignOut])
def list_campaigns(owner: Owner, rt: RuntimeDep,
                   limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[campaigns.Campaign]:
    """The tenant's campaigns, newest first, with their counts."""
    return campaigns.list_all(rt, owner.tenant_id, limit=limit)


@router.post("/campaigns", status_code=201, response_model=CampaignOut, responses=BAD)
def create_campaign(body: CampaignIn, owner: Owner, rt: RuntimeDep) -> campaigns.Campaign:
    """Schedule a message to a segment, once or every ``repeat_days``, keeping
    ``control_percent`` of the segment out as a control group. Sent by the campaigns job."""
    return campaigns.create(rt, owner.tenant_id, campaigns.Draft(
        name=body.name, segment_id=body.segment_id,
        texts={lang: t.model_dump() for lang, t in body.texts.items()},
        control_percent=body.control_percent, starts_at=body.starts_at,
        repeat_days=body.repeat_days), actor=audit.key(owner.key_id))


@router.get("/campaigns/{campaign_id}", response_model=CampaignOut, responses=NF)
def get_campaign(campaign_id: PathId, owner: Owner, rt: RuntimeDep) -> campaigns.Campaign:
    return campaigns.get(rt, owner.tenant_id, campaign_id)


@router.post("/campaigns/{campaign_id}/cancel", response_model=CampaignOut, responses=NF)
def cancel_campaign(campaign_id: PathId, owner: Owner, rt: RuntimeDep) -> campaigns.Campaign:
    """Stop a scheduled campaign (a finished one stays as it is)."""
    return campaigns.cancel(rt, owner.tenant_id, campaign_id, actor=audit.key(owner.key_id))

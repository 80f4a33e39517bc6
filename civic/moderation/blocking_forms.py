"""Forms for blocking, unblocking and appeals. The rules (lengths, who may act) live in the services."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, RadioField, TextAreaField
from wtforms.validators import InputRequired, Length

from civic.accounts.forms import EMAIL, EMAIL_FILTERS

MAX = Length(max=5000, message="Use 5,000 characters or fewer.")


class BlockForm(FlaskForm):
    justification = TextAreaField(
        "Justification", validators=[InputRequired("Write a justification of at least 15 characters."), MAX],
        description="At least 15 characters. Recorded in the audit log and shown to whoever reviews an appeal.")


class UnblockForm(FlaskForm):
    note = TextAreaField("Note", validators=[InputRequired("Write a note saying why the block is lifted."), MAX],
                         description="Why the block is lifted. Recorded in the audit log.")


STATEMENT_HINT = "Say why the decision should be reversed. An officer who did not make it will decide."


class BlockAppealForm(FlaskForm):
    email = EmailField("Email address", validators=[InputRequired("Enter the email address of your account."),
                                                    Length(max=254), EMAIL], filters=EMAIL_FILTERS)
    password = PasswordField("Password", validators=[InputRequired("Enter the password of your account.")],
                             description="We ask for it to make sure the appeal comes from you.")
    statement = TextAreaField("Your appeal", validators=[InputRequired("Write your appeal."), MAX],
                              description=STATEMENT_HINT)


class ContentAppealForm(FlaskForm):
    statement = TextAreaField("Your appeal", validators=[InputRequired("Write your appeal."), MAX],
                              description=STATEMENT_HINT)


class DecideAppealForm(FlaskForm):
    outcome = RadioField("Decision", choices=[("uphold", "Uphold the decision"),
                                              ("reverse", "Reverse the decision")],
                         validators=[InputRequired("Choose whether to uphold or reverse the decision.")])
    reason = TextAreaField("Reason", validators=[InputRequired("Give the reason for your decision."), MAX],
                           description="Sent to the appellant by email and recorded in the audit log.")

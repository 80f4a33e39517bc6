from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import Email, InputRequired, Length

from civic.accounts.passwords import MAX_LENGTH, MIN_LENGTH
from civic.messages import EMAIL_FORMAT


def strip(value):
    """Spaces around a pasted address are not part of it (GOV.UK: remove them, do not refuse them)."""
    return value.strip() if isinstance(value, str) else value


#: What an email address is, for every form that takes one (sign-up, sign-in, forgot password, change of address,
#: the blocked person's appeal): the same check and the same message everywhere.
EMAIL = Email(EMAIL_FORMAT, check_deliverability=False)
EMAIL_FILTERS = [strip]

PASSWORD_HINT = f"At least {MIN_LENGTH} characters. A few unrelated words make a strong password."


class SignUpForm(FlaskForm):
    display_name = StringField("Your name", validators=[InputRequired("Enter your name."), Length(max=80)],
                               description="Shown beside what you write. It can be a first name only.")
    nickname = StringField("Nickname", validators=[InputRequired("Choose a nickname."), Length(min=3, max=30)],
                           description="3 to 30 letters, numbers or underscores. People mention you as "
                                       "@nickname.")
    email = EmailField("Email address", validators=[
        InputRequired("Enter your email address."),
        EMAIL], filters=EMAIL_FILTERS,
        description="We send a link to confirm it. We never show it to anyone.")
    password = PasswordField("Password", validators=[
        InputRequired("Choose a password."),
        Length(min=MIN_LENGTH, max=MAX_LENGTH, message=f"Use at least {MIN_LENGTH} characters.")],
        description=PASSWORD_HINT)
    next = HiddenField()  # where they were going: carried through the confirmation link to the first sign-in


class SignInForm(FlaskForm):
    email = EmailField("Email address", validators=[InputRequired("Enter your email address."), EMAIL],
                       filters=EMAIL_FILTERS)
    password = PasswordField("Password", validators=[InputRequired("Enter your password.")])
    remember = BooleanField("Keep me signed in on this device for 30 days")
    next = HiddenField()


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email address", validators=[
        InputRequired("Enter your email address."),
        EMAIL], filters=EMAIL_FILTERS)


class ResetPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[
        InputRequired("Choose a password."),
        Length(min=MIN_LENGTH, max=MAX_LENGTH, message=f"Use at least {MIN_LENGTH} characters.")],
        description=PASSWORD_HINT)


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password")
    password = PasswordField("New password", validators=[
        InputRequired("Choose a new password."),
        Length(min=MIN_LENGTH, max=MAX_LENGTH, message=f"Use at least {MIN_LENGTH} characters.")],
        description=PASSWORD_HINT)


class ChangeEmailForm(FlaskForm):
    email = EmailField("New email address", validators=[
        InputRequired("Enter your new email address."),
        EMAIL], filters=EMAIL_FILTERS,
        description="We send a link to the new address; the change happens when you follow it.")
    password = PasswordField("Your password", description="To make sure it is you.")


class ProfileForm(FlaskForm):
    display_name = StringField("Your name", validators=[InputRequired("Enter your name."), Length(max=80)])


class DeleteAccountForm(FlaskForm):
    password = PasswordField("Your password", description="To make sure it is you.")
    confirm = BooleanField("I understand that my account will be deleted and cannot be recovered",
                           validators=[InputRequired("Tick the box to confirm.")])


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for buttons that post."""
